import { ROLE_NAMES, adoptTokenFromFragment, claims, getToken, pageOfRole, setToken } from "./common.js";

const PAGE_NAMES = { agent: "客服工作台", buyer: "买家聊天", qa: "质检控制台", supervisor: "主管看板" };
const message = document.getElementById("login-message");
const query = new URLSearchParams(location.search);

function show(text) {
  message.textContent = text;
  message.hidden = false;
}

if (query.get("wrong")) {
  const role = query.get("wrong");
  show(`当前令牌的角色是「${ROLE_NAMES[role] || role}」，不能打开${PAGE_NAMES[query.get("next")] || "该页面"}。请换一个令牌。`);
} else if (query.get("expired") === "1") {
  show("令牌无效或已过期，请重新登录。");
} else if (query.get("expired") === "0") {
  show("请先登录。");
}

function enter(token) {
  const data = claims(token);
  if (!data) { show("这不是有效的令牌（应为三段以 . 分隔的 JWT）。"); return; }
  if (data.exp && data.exp * 1000 < Date.now()) { show("令牌已过期。"); return; }
  const page = pageOfRole(data.role);
  if (!page) { show(`未知角色：${data.role}`); return; }
  setToken(token);
  location.assign(`/console/${page}`);
}

adoptTokenFromFragment();
if (!query.get("wrong") && !query.get("expired") && getToken() && claims(getToken())) {
  enter(getToken());
}

document.getElementById("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const token = document.getElementById("token-input").value.trim();
  if (!token) { show("请粘贴令牌。"); return; }
  enter(token);
});
