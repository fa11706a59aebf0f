// Shared by every console page: the token (sessionStorage), the HTTP API, the websocket URL and
// DOM helpers. Text that came from a buyer, an agent or the API is only ever put into the page
// as text (textContent / text nodes), never as HTML.

const TOKEN_KEY = "replyguard.token";

export const ROLE_NAMES = {
  agent: "客服", bot: "机器人", buyer: "买家", qa: "质检", supervisor: "主管",
};

export const TIER_NAMES = {
  none: "通过", notice: "提醒", "suggest-edit": "建议修改", "force-edit": "强制修改",
  block: "拦截", "block-with-warning": "拦截并警告", "route-to-human": "转人工",
};

// A link may carry the token in its fragment (#token=…): keep it in this tab's sessionStorage
// and take it out of the address bar, so it is neither bookmarked nor shown over a shoulder.
export function adoptTokenFromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("token");
  if (token) {
    sessionStorage.setItem(TOKEN_KEY, token.trim());
    history.replaceState(null, "", location.pathname + location.search);
  }
}

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token.trim());
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

// The token's claims, read without checking the signature: only to choose a page and show who
// is logged in. The gateway verifies the token on every request.
export function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    const data = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof data.role !== "string" || typeof data.sub !== "string") return null;
    return data;
  } catch {
    return null;
  }
}

export function pageOfRole(role) {
  return { agent: "agent", bot: "agent", buyer: "buyer", qa: "qa", supervisor: "supervisor" }[role];
}

// The claims of this tab's token when it fits this page; otherwise back to the login page.
export function requireLogin(page) {
  adoptTokenFromFragment();
  const token = getToken();
  const data = token ? claims(token) : null;
  if (!data || (data.exp && data.exp * 1000 < Date.now())) {
    location.replace("/console/?expired=" + (token ? "1" : "0") + "&next=" + page);
    return null;
  }
  if (pageOfRole(data.role) !== page) {
    location.replace("/console/?wrong=" + encodeURIComponent(data.role) + "&next=" + page);
    return null;
  }
  return data;
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export async function api(path, { method = "GET", body, raw = false } = {}) {
  const headers = { Authorization: `Bearer ${getToken()}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    let data = null;
    try { data = await response.json(); } catch { /* not JSON */ }
    throw new ApiError(response.status, data);
  }
  if (raw) return response;
  return response.status === 204 ? null : response.json();
}

export function websocketUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws?token=${encodeURIComponent(getToken())}`;
}

// el("div", {class: "x", onclick: f}, "text", child, …): strings become text nodes.
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// The text with each match's span (code-point offsets into the ORIGINAL text, as the scorer
// reports them) wrapped in <mark>, the normalisation trace as its tooltip.
export function highlighted(text, matches) {
  const chars = Array.from(text);
  const spans = [...(matches || [])]
    .filter((m) => m.end > m.start)
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const parts = [];
  let at = 0;
  for (const m of spans) {
    if (m.start < at) continue; // overlapping hit: the first (longest) is shown
    if (m.start > at) parts.push(chars.slice(at, m.start).join(""));
    const trace = (m.trace && m.trace.length) ? m.trace.join("；") : "原文直接命中";
    parts.push(el("mark", {
      class: `hit cat-${m.category}`,
      title: `${m.category} · ${m.term} · ${trace}`,
      dataset: { term: m.term, category: m.category, trace },
    }, chars.slice(m.start, m.end).join("")));
    at = m.end;
  }
  if (at < chars.length) parts.push(chars.slice(at).join(""));
  return parts;
}

export function formatTime(iso) {
  const date = iso ? new Date(iso) : new Date();
  return date.toLocaleString("zh-CN", { hour12: false });
}

export function whoAmI(data) {
  const shop = data.shop === "*" ? "全部店铺" : `店铺 ${data.shop}`;
  return `${ROLE_NAMES[data.role] || data.role} ${data.sub} · ${shop}`;
}

export function logoutButton() {
  return el("button", {
    class: "link", type: "button",
    onclick: () => { clearToken(); location.assign("/console/"); },
  }, "退出");
}
