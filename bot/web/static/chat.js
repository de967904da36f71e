// Web chat client: no framework, no CDN. Talks to POST /webhooks/web.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("input");
  var send = document.getElementById("send");

  function senderId() {
    var key = "khdx.sender";
    var id = null;
    try { id = window.localStorage.getItem(key); } catch (e) { /* private mode */ }
    if (!id) {
      var bytes = new Uint8Array(12);
      (window.crypto || window.msCrypto).getRandomValues(bytes);
      id = "w" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
      try { window.localStorage.setItem(key, id); } catch (e) { /* keep it for this page only */ }
    }
    return id;
  }
  var sender = senderId();

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
    fetch("/webhooks/web/poll", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: sender })
    }).then(function (res) { return res.ok ? res.json() : null; }).then(function (body) {
      if (!body) return;
      show(body.replies);
      watch(body.handoff);
    }).catch(function () { /* try again at the next tick */ });
  }

  function ask(message, shown) {
    bubble(shown || message, "user");
    var typing = bubble("Đang trả lời…", "bot", "msg--typing");
    setBusy(true);
    fetch("/webhooks/web", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: sender, message: message })
    }).then(function (res) {
      return res.json().then(function (body) { return { ok: res.ok, body: body }; });
    }).then(function (r) {
      typing.remove();
      if (!r.ok) {
        bubble(r.body && r.body.error ? r.body.error : "Có lỗi xảy ra, bạn thử lại nhé.", "bot");
        return;
      }
      show(r.body.replies);
      watch(r.body.handoff);
    }).catch(function () {
      typing.remove();
      bubble("Không kết nối được máy chủ. Bạn kiểm tra mạng rồi thử lại nhé.", "bot");
    }).then(function () { setBusy(false); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    ask(text);
  });

  bubble("Xin chào! Mình là trợ lý chuyển đổi số của tỉnh Khánh Hòa. Bạn muốn hỏi gì?", "bot");
  buttonsRow([
    { title: "Chuyển đổi số là gì?", payload: "/dx_what_is" },
    { title: "Đăng ký VNeID mức 2", payload: "/vneid_level2" },
    { title: "Nhận biết lừa đảo", payload: "/scam_general" }
  ]);
})();
