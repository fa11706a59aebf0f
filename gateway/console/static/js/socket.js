// The websocket to the gateway: JSON frames, a ping while idle (presence expires without
// frames), and reconnection with backoff. A refused token (4401) or role (4403) goes back to
// the login page instead of retrying.

const PING_MS = 20000;

export class Socket {
  constructor(url, { onFrame, onState, onOpen }) {
    this.url = url;
    this.onFrame = onFrame;
    this.onState = onState;
    this.onOpen = onOpen || (() => {});
    this.ws = null;
    this.delay = 500;
    this.timer = null;
  }

  connect() {
    this.onState("connecting", "连接中…");
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.delay = 500;
      this.onState("open", "已连接");
      this.timer = setInterval(() => this.send({ type: "ping" }), PING_MS);
      this.onOpen();
    });
    ws.addEventListener("message", (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      this.onFrame(frame);
    });
    ws.addEventListener("close", (event) => {
      clearInterval(this.timer);
      if (this.ws !== ws) return;
      if (event.code === 4401) {
        location.replace("/console/?expired=1");
        return;
      }
      if (event.code === 4403) {
        this.onState("closed", "此角色不能连接聊天网关");
        return;
      }
      this.onState("closed", "连接断开，正在重连…");
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 10000);
    });
  }

  // false when the frame could not be sent (not connected)
  send(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }
}
