"""The neural host: a real person's reference video whose mouth a lip-sync network repaints from the host's voice.

What flows, in order:

- ``build.py`` (``streamer avatars build SOURCE --model wav2lip|musetalk --out DIR``) turns a reference video or a
  portrait into a pack (``pack.py``): the source frames, smoothed face boxes (``faces.py``), face crops, a feathered
  blend mask and each crop's cached model input.
- ``models.py`` loads a network from the files its authors release (``STREAMER_MODELS_DIR``): Wav2Lip
  (``wav2lip.py``, with its mel front end in ``mel.py``) or MuseTalk 1.5 (``musetalk.py``, whisper-tiny audio
  windows in ``whisper_audio.py``).
- ``service.py`` is one process per machine that owns the device: every stream's frames go through one model in
  dynamic batches (``batcher.py``), over a typed Unix-socket protocol (``protocol.py``, ``client.py``).
- ``host.py`` is the scene's host for a neural pack: it submits the faces of the scene's render window (the
  utterance on air and the next one, ``scene/window.py``) in batches, pastes each repainted face back into its
  source frame, shows the untouched source frame while silent or when a
  face is not back in time, and falls back to the photo host by itself when the device cannot keep up.

torch is imported only by the model files and the service, so sessions stay light and the package imports without
the ``gpu`` extra.
"""
