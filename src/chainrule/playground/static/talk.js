// Talking to the server: one WebSocket per tab (one session). Requests carry an id and resolve
// with the reply of the same id; frames and other pushed messages go to the listener.

let socket = null;
let nextId = 1;
const waiting = new Map();
let listener = () => {};

export function connect(settings, onMessage) {
  listener = onMessage;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws`);
  socket.onopen = () => socket.send(JSON.stringify({ settings }));
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "frame") socket.send(JSON.stringify({ op: "ack", seq: message.seq }));
    listener(message);
    if (message.id && waiting.has(message.id)) {
      const { resolve } = waiting.get(message.id);
      waiting.delete(message.id);
      resolve(message);
    }
  };
  socket.onclose = () => listener({ type: "closed" });
}

export function request(op, body = {}) {
  const id = nextId++;
  return new Promise((resolve) => {
    waiting.set(id, { resolve });
    socket.send(JSON.stringify({ op, id, ...body }));
  });
}

export function fileAsText(file) {
  return file.text();
}

export async function fileAsBase64(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}
