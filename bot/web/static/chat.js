// Web chat client: no framework, no CDN, no inline code. Talks to POST /webhooks/web.
// The conversation's id comes from the server (/webhooks/web/session) and is kept for this tab
// only (sessionStorage): on a shared computer the next person starts a new conversation.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("input");
  var send = document.getElementById("send");
  var restart = document.getElementById("restart");

  var KEY = "khdx.sender";
  var idleMs = 30 * 60 * 1000;
  var lastActivity = Date.now();
  // Bumped by "Cuộc trò chuyện mới": answers to the old conversation still on the way are dropped.
  var generation = 0;

  var memory = null;  // when storage is refused (private mode): this page only
  function stored() {
    try { return window.sessionStorage.getItem(KEY) || memory; } catch (e) { return memory; }
  }
  function store(id) {
    memory = id;
    try {
      if (id) { window.sessionStorage.setItem(KEY, id); } else { window.sessionStorage.removeItem(KEY); }
    } catch (e) { /* kept in memory */ }
  }
  try { window.localStorage.removeItem(KEY); } catch (e) { /* ids were kept there before */ }

  function postJson(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (json) {
        return { status: res.status, ok: res.ok, body: json };
      });
    });
  }

  // The id of this conversation, asked of the server the first time.
  function sender(gen) {
    var id = stored();
    if (id) return Promise.resolve(id);
    return postJson("/webhooks/web/session").then(function (r) {
      if (!r.ok || !r.body.sender) throw r;
      if (r.body.idle_s) idleMs = r.body.idle_s * 1000;
      if (gen === generation) store(r.body.sender);
      return r.body.sender;
    });
  }

  // Post with this conversation's id; an id the server no longer accepts (idle too long) is
  // replaced once, without bothering the citizen.
  function postAs(url, fields, retried) {
    var gen = generation;
    return sender(gen).then(function (id) {
      var body = { sender: id };
      Object.keys(fields).forEach(function (k) { body[k] = fields[k]; });
      return postJson(url, body);
    }).then(function (r) {
      if (gen !== generation) return { stale: true };
      if (r.status === 401 && !retried) {
        store(null);
        return postAs(url, fields, true);
      }
      if (r.ok && r.body.sender) store(r.body.sender);
      return r;
    });
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function bubble(text, who, extraClass) {
    var li = document.createElement("li");
    li.className = "msg msg--" + who + (extraClass ? " " + extraClass : "");
    li.textContent = text;  // text only: replies never inject HTML
    log.appendChild(li);
    scrollDown();
    return li;
  }

  function buttonsRow(buttons) {
    var li = document.createElement("li");
    li.className = "buttons";
    buttons.forEach(function (b) {
      if (b.url) {
        // A link to an official page opens beside the chat; only https addresses are shown.
        if (!/^https:\/\//.test(b.url)) return;
        var a = document.createElement("a");
        a.className = "link-button";
        a.href = b.url;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        a.textContent = b.title;
        li.appendChild(a);
        return;
      }
      var btn = document.createElement("button");
      btn.type = "button";
      btn.textContent = b.title;
      btn.addEventListener("click", function () {
        Array.prototype.forEach.call(li.querySelectorAll("button"), function (x) { x.disabled = true; });
        ask(b.payload, b.title);
      });
      li.appendChild(btn);
    });
    log.appendChild(li);
    scrollDown();
  }

  function setBusy(busy) {
    send.disabled = busy;
    input.disabled = busy;
    if (!busy) input.focus();
  }

  function show(replies) {
    (replies || []).forEach(function (reply) {
      if (reply.text) bubble(reply.text, "bot");
      if (reply.buttons && reply.buttons.length) buttonsRow(reply.buttons);
    });
  }

  // While a volunteer has the conversation, their replies are fetched every few seconds.
  var polling = null;
  function watch(handoff) {
    if (handoff && !polling) {
      polling = setInterval(poll, 4000);
    } else if (!handoff && polling) {
      clearInterval(polling);
      polling = null;
    }
  }
  function poll() {
    var id = stored();
    if (!id) { watch(false); return; }
    var gen = generation;
    postJson("/webhooks/web/poll", { sender: id }).then(function (r) {
      if (gen !== generation) return;
      if (r.status === 401) { watch(false); return; }
      if (!r.ok) return;  // try again at the next tick
      if (r.body.sender) store(r.body.sender);
      if (r.body.replies && r.body.replies.length) lastActivity = Date.now();
      show(r.body.replies);
      watch(r.body.handoff);
    }).catch(function () { /* try again at the next tick */ });
  }

  function ask(message, shown) {
    lastActivity = Date.now();
    bubble(shown || message, "user");
    var typing = bubble("Đang trả lời…", "bot", "msg--typing");
    setBusy(true);
    postAs("/webhooks/web", { message: message }).then(function (r) {
      typing.remove();
      if (r.stale) return;
      if (!r.ok) {
        bubble(r.body && r.body.error ? r.body.error : "Có lỗi xảy ra, bạn thử lại nhé.", "bot");
        return;
      }
      show(r.body.replies);
      watch(r.body.handoff);
    }).catch(function (r) {
      typing.remove();
      var text = r && r.body && r.body.error;
      bubble(text || "Không kết nối được máy chủ. Bạn kiểm tra mạng rồi thử lại nhé.", "bot");
    }).then(function () { setBusy(false); });
  }

  function greet() {
    bubble("Xin chào! Mình là trợ lý chuyển đổi số của tỉnh Khánh Hòa. Bạn muốn hỏi gì?", "bot");
    buttonsRow([
      { title: "Chuyển đổi số là gì?", payload: "/dx_what_is" },
      { title: "Đăng ký VNeID mức 2", payload: "/vneid_level2" },
      { title: "Nhận biết lừa đảo", payload: "/scam_general" }
    ]);
  }

  // Forget this conversation on this computer: the next message starts a new one.
  function startOver() {
    generation += 1;
    watch(false);
    store(null);
    log.textContent = "";
    input.value = "";
    lastActivity = Date.now();
    greet();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    ask(text);
  });
  restart.addEventListener("click", startOver);
  // Left idle (the citizen walked away): clear the screen as the server forgets the id.
  setInterval(function () {
    if (stored() && !polling && Date.now() - lastActivity > idleMs) startOver();
  }, 30000);

  greet();
})();
