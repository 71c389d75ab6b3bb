// Live preview: WebRTC first (aiortc on the server); MJPEG over plain HTTP when WebRTC cannot connect (no UDP)
// or is switched off with ?preview=mjpeg.
import { auth } from "./api.js";

const WEBRTC_TIMEOUT_MS = 6000;

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
    this.pc = null;
    this.streamId = null;
    this.mode = "-";
  }

  async show(streamId) {
    this.stop();
    this.streamId = streamId;
    const forced = new URLSearchParams(location.search).get("preview");
    if (forced !== "mjpeg" && "RTCPeerConnection" in window) {
      try {
        await this.webrtc(streamId);
        return;
      } catch (e) {
        console.warn("WebRTC preview failed, using MJPEG:", e);
      }
    }
    if (this.streamId === streamId) this.mjpeg(streamId);
  }

  async webrtc(streamId) {
    const pc = new RTCPeerConnection({ iceServers: [] });
    this.pc = pc;
    pc.addTransceiver("video", { direction: "recvonly" });
    const gotFrames = new Promise((resolve, reject) => {
      pc.ontrack = (e) => {
        this.video.srcObject = e.streams[0] || new MediaStream([e.track]);
        this.video.hidden = false;
        this.img.hidden = true;
        this.video.play().catch(() => {});
        const check = () => (this.video.videoWidth > 0 ? resolve() : setTimeout(check, 100));
        check();
      };
      setTimeout(() => reject(new Error("no WebRTC frames")), WEBRTC_TIMEOUT_MS);
    });
    await pc.setLocalDescription(await pc.createOffer());
    await iceGathered(pc);
    const res = await fetch(`/api/streams/${encodeURIComponent(streamId)}/webrtc`, {
      method: "POST",
      headers: { Authorization: `Bearer ${auth.token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ sdp: pc.localDescription.sdp, type: "offer" }),
    });
    if (!res.ok) throw new Error(`offer refused: ${res.status}`);
    await pc.setRemoteDescription(await res.json());
    try {
      await gotFrames;
    } catch (e) {
      pc.close();
      if (this.pc === pc) this.pc = null;
      throw e;
    }
    this.setMode("WebRTC");
  }

  mjpeg(streamId) {
    this.video.hidden = true;
    this.img.hidden = false;
    this.img.src = `/api/streams/${encodeURIComponent(streamId)}/preview.mjpg?token=${encodeURIComponent(auth.token)}&t=${Date.now()}`;
    this.setMode("MJPEG");
  }

  setMode(mode) {
    this.mode = mode;
    this.label.textContent = mode;
    this.video.closest(".preview").dataset.mode = mode;
  }

  stop() {
    if (this.pc) { this.pc.close(); this.pc = null; }
    this.video.srcObject = null;
    this.img.removeAttribute("src");
    this.video.hidden = true;
    this.img.hidden = true;
    this.streamId = null;
    this.setMode("-");
  }
}
