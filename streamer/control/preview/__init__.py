"""The live preview in the service: the latest JPEG per stream (``hub``) and WebRTC viewers fed from it (``webrtc``)."""
