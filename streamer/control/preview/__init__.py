"""The live stream in the service: the latest preview JPEG per stream (``hub``) and WHEP viewers fed the stream's
own encode (``whep``, ``stream_feed``)."""
