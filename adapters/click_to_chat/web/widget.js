// Confab click-to-chat widget: plain JavaScript, no build step. Adds a "Chat with us" button;
// the chat talks JSON over a WebSocket to /chat on the server this script came from. Every text
// is shown with textContent, never as HTML.
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(script && script.src ? script.src : window.location.href);
  var chatUrl = (base.protocol === "https:" ? "wss://" : "ws://") + base.host + "/chat";
  var labels = { agent: "Agent", bot: "Assistant" };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  var open = el("button", "confab-chat-open", "Chat with us");
  open.type = "button";
  open.id = "confab-chat-open";
  var panel = el("section", "confab-chat");
  panel.hidden = true;
  panel.setAttribute("aria-label", "Chat with support");
  var head = el("div", "confab-chat-head", "");
  head.appendChild(el("span", "", "Support chat"));
  var close = el("button", "confab-chat-close", "\u00d7");
  close.type = "button";
  close.title = "Leave the chat";
  head.appendChild(close);
  var log = el("div", "confab-chat-log");
  log.id = "confab-chat-log";
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  var typing = el("div", "confab-chat-typing", "");
  var form = el("form", "confab-chat-form");
  var input = el("input", "confab-chat-input");
  input.id = "confab-chat-input";
  input.placeholder = "Type your question\u2026";
  input.maxLength = 2000;
  input.autocomplete = "off";
  var send = el("button", "confab-chat-send", "Send");
  send.type = "submit";
  send.id = "confab-chat-send";
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(head);
  panel.appendChild(log);
  panel.appendChild(typing);
  panel.appendChild(form);

  var ws = null;
  var typingTimer = null;

  function show(kind, text) {
    var item = el("div", "confab-msg confab-msg-" + kind);
    if (labels[kind]) item.appendChild(el("span", "confab-msg-who", labels[kind]));
    item.appendChild(document.createTextNode(text));
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function connect() {
    ws = new WebSocket(chatUrl);
    ws.onopen = function () { ws.send(JSON.stringify({ type: "hello" })); };
    ws.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (!frame || typeof frame.type !== "string") return;
      if (frame.type === "typing") {
        typing.textContent = "The agent is typing\u2026";
        clearTimeout(typingTimer);
        typingTimer = setTimeout(function () { typing.textContent = ""; }, 5000);
        return;
      }
      if (frame.type === "agent") typing.textContent = "";
      if (typeof frame.text === "string" && frame.text) show(frame.type, frame.text);
    };
    ws.onclose = function () {
      if (ws) show("system", "The chat is closed.");
      ws = null;
    };
  }

  open.addEventListener("click", function () {
    open.hidden = true;
    panel.hidden = false;
    if (!ws) connect();
    input.focus();
  });
  close.addEventListener("click", function () {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "leave" }));
    var old = ws;
    ws = null;
    if (old) old.close();
    panel.hidden = true;
    open.hidden = false;
    log.textContent = "";
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || !ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify({ type: "message", text: text }));
    show("visitor", text);
    input.value = "";
  });

  function mount() {
    document.body.appendChild(open);
    document.body.appendChild(panel);
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
