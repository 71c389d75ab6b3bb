// Live preview: the stream itself through WHEP (H.264 and Opus at the stream's size, with its sound: muted until
// the operator unmutes it), and MJPEG over plain HTTP when WebRTC cannot connect (no UDP) or is switched off with
// ?preview=mjpeg. A stream that stops, or a WHEP session the server ends, shows as stopped.
import { auth } from "./api.js";
import { t } from "./i18n.js";

const WEBRTC_TIMEOUT_MS = 8000; // the first keyframe comes within 2 s of the connection
const LEVEL_EVERY_MS = 500;

function iceGathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, 2000); // host candidates are enough on a LAN
  });
}

export class Preview {
  constructor(video, img, label) {
    this.video = video;
    this.img = img;
    this.label = label;
    this.box = video.closest(".preview");
    this.muteButton = this.box.querySelector(".preview-mute");
    this.stateText = this.box.querySelector(".preview-state");
    this.meter = this.box.querySelector(".preview-level");
    this.pc = null;
    this.session = null; // the WHEP session URL, DELETEd when the preview stops
    this.streamId = null;
    this.levelTimer = null;
    this.mode = "-";
    this.muteButton.addEventListener("click", () => this.setMuted(!this.video.muted));
    this.setMuted(true);
  }

  async show(streamId) {
    this.close();
    this.streamId = streamId;
    this.setState("connecting");
    const forced = new URLSearchParams(location.search).get("preview");
    if (forced !== "mjpeg" && "RTCPeerConnection" in window) {
      try {
        await this.whep(streamId);
        return;
      } catch (e) {
        console.warn("WHEP preview failed, using MJPEG:", e);
      }
    }
    if (this.streamId === streamId) this.mjpeg(streamId);
  }

  async whep(streamId) {
    const pc = new RTCPeerConnection({ iceServers: [] });
    this.pc = pc;
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    const stream = new MediaStream();
    const gotFrames = new Promise((resolve, reject) => {
      pc.ontrack = (e) => {
        stream.addTrack(e.track);
        if (e.track.kind !== "video") return;
        this.video.srcObject = stream;
        this.video.hidden = false;
        this.img.hidden = true;
        this.video.play().catch(() => {});
        const check = () => (this.video.videoWidth > 0 ? resolve() : setTimeout(check, 100));
        check();
      };
      setTimeout(() => reject(new Error("no WebRTC frames")), WEBRTC_TIMEOUT_MS);
    });
    gotFrames.catch(() => {}); // awaited below; a timeout before that await is not an unhandled rejection
    pc.addEventListener("connectionstatechange", () => {
      if (this.pc === pc && ["failed", "closed"].includes(pc.connectionState)) this.stop();
    });
    await pc.setLocalDescription(await pc.createOffer());
    await iceGathered(pc);
    const res = await fetch(`/api/streams/${encodeURIComponent(streamId)}/whep`, {
      method: "POST",
      headers: { Authorization: `Bearer ${auth.token}`, "Content-Type": "application/sdp" },
      body: pc.localDescription.sdp,
    });
    if (res.status !== 201) throw new Error(`offer refused: ${res.status}`);
    this.session = res.headers.get("Location");
    await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
    try {
      await gotFrames;
    } catch (e) {
      this.close();
      throw e;
    }
    this.fitToStream();
    this.levelTimer = setInterval(() => this.showLevel(pc), LEVEL_EVERY_MS);
    this.setMode("WebRTC");
    this.setState("playing");
  }

  mjpeg(streamId) {
    this.video.hidden = true;
    this.img.hidden = false;
    this.img.onload = () => { this.fitToStream(); this.setState("playing"); };
    this.img.src = `/api/streams/${encodeURIComponent(streamId)}/preview.mjpg?token=${encodeURIComponent(auth.token)}&t=${Date.now()}`;
    this.setMode("MJPEG");
  }

  // the box takes the stream's shape (the video is the stream's own size, shown scaled to the panel's width)
  fitToStream() {
    const w = this.video.hidden ? this.img.naturalWidth : this.video.videoWidth;
    const h = this.video.hidden ? this.img.naturalHeight : this.video.videoHeight;
    if (w && h) {
      this.box.style.aspectRatio = `${w} / ${h}`;
      this.box.dataset.size = `${w}x${h}`;
    }
  }

  // what the browser's own stack says of the sound: the level meter moves while the host speaks, muted or not
  async showLevel(pc) {
    let level = 0;
    (await pc.getStats()).forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "audio") {
        level = s.audioLevel || 0;
        this.box.dataset.audioSamples = String(s.totalSamplesReceived || 0);
      }
    });
    this.meter.style.width = `${Math.round(Math.min(1, level) * 100)}%`;
    if (level > 0.01) this.box.dataset.audio = "on";
  }

  setMuted(muted) {
    this.video.muted = muted;
    this.muteButton.textContent = t(muted ? "unmute" : "mute");
    this.muteButton.setAttribute("aria-pressed", String(!muted));
    this.box.dataset.muted = String(muted);
  }

  setMode(mode) {
    this.mode = mode;
    this.label.textContent = mode;
    this.box.dataset.mode = mode;
  }

  setState(state) {
    this.box.dataset.state = state;
    const text = { playing: "", ended: t("stream_stopped"), connecting: t("connecting"), idle: t("no_preview") };
    this.stateText.textContent = text[state];
  }

  // the stream stopped (or the server ended the session): say so over a dark picture
  stop() {
    const was = this.streamId !== null;
    this.close();
    this.setState(was ? "ended" : "idle");
  }

  close() {
    if (this.levelTimer) { clearInterval(this.levelTimer); this.levelTimer = null; }
    if (this.pc) { this.pc.close(); this.pc = null; }
    if (this.session) {
      fetch(this.session, { method: "DELETE", headers: { Authorization: `Bearer ${auth.token}` } }).catch(() => {});
      this.session = null;
    }
    this.video.srcObject = null;
    this.img.onload = null;
    this.img.removeAttribute("src");
    this.video.hidden = true;
    this.img.hidden = true;
    this.meter.style.width = "0%";
    delete this.box.dataset.audio;
    this.streamId = null;
    this.setMode("-");
  }
}
