// Exchanges a one-time sign-in ticket for the HttpOnly session cookie (server.py's /_dlmi/session), or asks the
// server to clear it (/_dlmi/signout). Nothing is drawn; the cookie itself never passes through this script.
export default function (component) {
  const { data, parentElement } = component;
  if (!data || !data.action) return;
  const root = parentElement;
  const done = root.dataset.done || "";
  const marker = data.action + ":" + (data.ticket || "");
  if (done === marker) return;  // the same data again (a rerun): once is enough
  root.dataset.done = marker;
  const base = (data.base || "").replace(/^\/+|\/+$/g, "");
  const url = window.location.origin + "/" + (base ? base + "/" : "") + (data.action === "open" ? "_dlmi/session" : "_dlmi/signout");
  fetch(url, { method: "POST", body: data.ticket || "", credentials: "same-origin" }).catch(() => {});
}
