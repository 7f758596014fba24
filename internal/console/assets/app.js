// sailplane console: polls /ui/api/view with its ETag (304 while nothing
// changed) and draws the Graph, Config and Proxies pages from it.
"use strict";

const SVGNS = "http://www.w3.org/2000/svg";
const NODE_W = 200, NODE_H = 34, POLL_MS = 2000;
const state = { token: "", etag: "", view: null, selected: "", page: "graph" };

// The token arrives in the URL fragment (never sent to the server, so not
// in any log); it is moved to sessionStorage and cleared from the address.
function takeToken() {
  const m = /[#&]token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem("sailplane-token", decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + "#graph");
  }
  state.token = sessionStorage.getItem("sailplane-token") || "";
}

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

async function poll() {
  try {
    const headers = { Authorization: "Bearer " + state.token };
    if (state.etag) headers["If-None-Match"] = state.etag;
    const r = await fetch("api/view", { headers, cache: "no-store" });
    if (r.status === 401 || r.status === 403) {
      showAuth(await r.text());
    } else if (r.status === 200) {
      state.etag = r.headers.get("ETag") || "";
      state.view = await r.json();
      document.getElementById("auth").hidden = true;
      render();
      live("updated " + new Date().toLocaleTimeString());
    } else if (r.status === 304) {
      live("up to date " + new Date().toLocaleTimeString());
    } else {
      live("error: " + r.status + " " + (await r.text()));
    }
  } catch (e) {
    live("cannot reach the control plane: " + e.message);
  }
  setTimeout(poll, POLL_MS);
}

function live(text) { document.getElementById("live").textContent = text; }

function showAuth(why) {
  document.getElementById("auth").hidden = false;
  document.getElementById("auth-why").textContent = why;
  live("not signed in");
}

function render() {
  renderGraph();
  renderConfig();
  renderProxies();
}

// ---- Graph ----

function renderGraph() {
  const g = state.view.graph, root = document.getElementById("graph");
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.id : "";
  root.replaceChildren();
  let height = 40;
  for (const grp of g.groups) height = Math.max(height, grp.y + grp.h);
  const width = g.groups.length ? g.groups[0].w : 400;
  root.setAttribute("viewBox", "0 0 " + width + " " + height);
  root.setAttribute("width", width);
  root.setAttribute("height", height);
  if (!g.nodes.length) root.appendChild(svg("text", { x: 16, y: 28 }, "No services yet."));
  for (const grp of g.groups) {
    const e = svg("g", { class: "group", "data-namespace": grp.namespace });
    e.appendChild(svg("rect", { x: grp.x, y: grp.y, width: grp.w, height: grp.h, rx: 6 }));
    e.appendChild(svg("text", { x: grp.x + 10, y: grp.y + 19 }, "namespace " + (grp.namespace || "(none)")));
    root.appendChild(e);
  }
  const byID = {};
  for (const n of g.nodes) byID[n.id] = n;
  for (const edge of g.edges) {
    const a = byID[edge.from], b = byID[edge.to];
    if (a && b) root.appendChild(drawEdge(edge, a, b));
  }
  for (const n of g.nodes) root.appendChild(drawNode(n));
  applySearch();
  if (state.selected) {
    const sel = root.querySelector('[data-id="' + CSS.escape(state.selected) + '"]');
    if (sel) select(sel, false); else state.selected = "";
  }
  if (focused) {
    const f = root.querySelector('[data-id="' + CSS.escape(focused) + '"]');
    if (f) f.focus();
  }
}

function drawNode(n) {
  const e = svg("g", { class: "node " + n.kind, tabindex: 0, role: "button", "data-id": n.id, "data-kind": n.kind,
    "data-search": (n.label + " " + n.namespace).toLowerCase(), "aria-label": n.kind + " " + n.label + " in namespace " + n.namespace });
  e.appendChild(svg("rect", { x: n.x, y: n.y, width: NODE_W, height: NODE_H }));
  e.appendChild(svg("text", { class: "kind", x: n.x + 8, y: n.y + 12 }, n.kind));
  e.appendChild(svg("text", { class: "name", x: n.x + 8, y: n.y + 27 }, clip(n.label, 27)));
  e.appendChild(svg("title", {}, n.label));
  wire(e, n);
  return e;
}

function drawEdge(edge, a, b) {
  const x1 = a.x + NODE_W, y1 = a.y + NODE_H / 2;
  let x2 = b.x, y2 = b.y + NODE_H / 2, pts;
  if (b.x > a.x) {
    // Routes bow upward (mirrors downward) so they never hide under the
    // plain subset line.
    const bow = edge.kind === "endpoint" ? 0 : (edge.kind === "mirror" ? 22 : -22);
    const mx = (x1 + x2) / 2;
    pts = [[x1, y1], [mx, y1 + bow], [mx, y2 + bow], [x2, y2]];
  } else if (a.id === b.id) {
    // A route back to its own host (a subset that is missing): a loop on
    // the right.
    pts = [[x1, y1 - 8], [x1 + 70, y1 - 40], [x1 + 70, y1 + 40], [x1, y1 + 8]];
  } else {
    // Same column or leftward (a route to itself or to another namespace
    // above): loop out to the right.
    // Farther targets loop wider, so loops from one node nest.
    x2 = b.x + NODE_W;
    const out = Math.max(x1, x2) + 40 + Math.min(160, Math.abs(y2 - y1) / 2);
    pts = [[x1, y1], [out, y1], [out, y2], [x2, y2]];
  }
  const d = "M" + pts[0] + " C" + pts[1] + " " + pts[2] + " " + pts[3];
  const e = svg("g", { class: "edge " + edge.kind, "data-id": edge.id, "data-kind": edge.kind, "data-from": edge.from, "data-to": edge.to,
    "data-search": (a.label + " " + b.label + " " + a.namespace + " " + b.namespace).toLowerCase() });
  e.appendChild(svg("path", { d }));
  if (edge.kind !== "endpoint") {
    e.setAttribute("tabindex", 0);
    e.setAttribute("role", "button");
    e.setAttribute("aria-label", edge.kind + " " + edge.label + " from " + a.label + " to " + b.label);
    // The label sits near the destination end, where the curves of one
    // route's destinations have parted.
    const self = a.id === b.id;
    const [lx, ly] = self ? [x1 + 64, y1 + 4] : bezier(pts, 0.72);
    e.appendChild(svg("text", { class: "label", x: lx, y: ly, "text-anchor": self ? "start" : "middle" }, edge.label));
  }
  wire(e, edge);
  return e;
}

function bezier(p, t) {
  const u = 1 - t, k = [u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t];
  return [0, 1].map((i) => k[0] * p[0][i] + k[1] * p[1][i] + k[2] * p[2][i] + k[3] * p[3][i] - (i ? 4 : 0));
}

function wire(e, item) {
  e.addEventListener("click", () => select(e, true));
  e.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); select(e, true); }
  });
  e._item = item;
}

function select(e, user) {
  document.querySelectorAll("#graph .selected").forEach((s) => s.classList.remove("selected"));
  e.classList.add("selected");
  state.selected = e.dataset.id;
  const item = e._item, box = document.getElementById("detail");
  box.replaceChildren(el("h2", {}, e.getAttribute("aria-label") || item.kind));
  const dl = el("dl");
  for (const f of item.detail || []) {
    dl.appendChild(el("dt", {}, f.name));
    dl.appendChild(el("dd", {}, f.value));
  }
  box.appendChild(dl);
  if (user) box.scrollIntoView({ block: "nearest" });
}

function applySearch() {
  const q = document.getElementById("graph-search").value.trim().toLowerCase();
  document.querySelectorAll("#graph .node, #graph .edge").forEach((e) => {
    e.classList.toggle("dim", q !== "" && !e.dataset.search.includes(q));
  });
  document.querySelectorAll("#graph .group").forEach((e) => {
    e.classList.toggle("dim", q !== "" && !(e.dataset.namespace || "").toLowerCase().includes(q) &&
      !document.querySelector('#graph .node:not(.dim)[aria-label$=" in namespace ' + CSS.escape(e.dataset.namespace) + '"]'));
  });
}

function clip(s, n) { return s.length > n ? s.slice(0, n - 1) + "…" : s; }

// ---- Config ----

function renderConfig() {
  const q = document.getElementById("config-filter").value.trim().toLowerCase();
  const onlyBad = document.getElementById("config-problems").checked;
  const body = document.querySelector("#config-table tbody");
  body.replaceChildren();
  for (const o of state.view.objects) {
    const text = [o.kind, o.namespace, o.name, ...o.problems.map((p) => p.message)].join(" ").toLowerCase();
    if ((q && !text.includes(q)) || (onlyBad && o.accepted)) continue;
    const tr = el("tr", { "data-object": o.kind + "/" + o.namespace + "/" + o.name });
    tr.appendChild(el("td", {}, o.kind));
    tr.appendChild(el("td", {}, o.namespace));
    tr.appendChild(el("td", {}, o.name));
    tr.appendChild(el("td", { class: o.accepted ? "yes" : "no" }, o.accepted ? "True" : "False"));
    const td = el("td", { class: "problems" });
    for (const p of o.problems) td.appendChild(el("div", {}, (p.field ? p.field + ": " : "") + p.reason));
    tr.appendChild(td);
    body.appendChild(tr);
  }
  if (!body.children.length) body.appendChild(el("tr")).appendChild(el("td", { colspan: 5 }, "No objects match."));
}

// ---- Proxies ----

function renderProxies() {
  const q = document.getElementById("proxy-filter").value.trim().toLowerCase();
  const body = document.querySelector("#proxy-table tbody");
  body.replaceChildren();
  for (const p of state.view.proxies) {
    if (q && ![p.name, p.kind, p.state, p.nodeId].join(" ").toLowerCase().includes(q)) continue;
    const tr = el("tr", { "data-proxy": p.name });
    tr.appendChild(el("td", { title: p.nodeId }, p.name));
    tr.appendChild(el("td", {}, p.kind));
    tr.appendChild(el("td", { class: "state " + p.state }, p.state));
    const types = el("td", { class: "types" });
    for (const t of p.types) {
      const s = el("span", { class: t.state, title: t.nack || ("sent " + t.sent + ", acked " + t.acked) },
        t.type + " " + t.state + (t.sent ? " " + t.sent.slice(0, 8) : ""));
      types.appendChild(s);
    }
    tr.appendChild(types);
    tr.appendChild(el("td", {}, String(p.resources)));
    tr.appendChild(el("td", {}, bytes(p.bytes)));
    const dump = el("td");
    const b = el("button", { type: "button" }, "show");
    b.addEventListener("click", () => showDump(p.nodeId));
    dump.appendChild(b);
    tr.appendChild(dump);
    body.appendChild(tr);
  }
  if (!body.children.length) body.appendChild(el("tr")).appendChild(el("td", { colspan: 7 }, "No connected proxies."));
}

async function showDump(nodeID) {
  const pre = document.getElementById("dump");
  pre.hidden = false;
  pre.textContent = "loading…";
  const r = await fetch("../debug/config_dump?proxy=" + encodeURIComponent(nodeID), { headers: { Authorization: "Bearer " + state.token } });
  pre.textContent = r.ok ? JSON.stringify(await r.json(), null, 2) : r.status + " " + (await r.text());
  pre.focus();
}

function bytes(n) {
  if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1) + " MiB";
  if (n >= 1 << 10) return (n / (1 << 10)).toFixed(1) + " KiB";
  return n + " B";
}

// ---- Impact ----

async function previewImpact(ev) {
  ev.preventDefault();
  const out = document.getElementById("impact-result");
  out.replaceChildren(el("p", { class: "note" }, "translating…"));
  const r = await fetch("api/impact", { method: "POST", body: document.getElementById("impact-yaml").value,
    headers: { Authorization: "Bearer " + state.token, "Content-Type": "application/yaml" } });
  if (!r.ok) {
    out.replaceChildren(el("p", { class: "no" }, r.status + " " + (await r.text())));
    return;
  }
  const imp = await r.json();
  let proxies = 0;
  for (const c of imp.changes) proxies += c.proxies.length;
  out.replaceChildren(el("p", { id: "impact-summary" }, proxies + " proxies would get new configuration, " + imp.unchanged + " unchanged."));
  for (const c of imp.changes) {
    out.appendChild(el("h3", {}, c.proxies.join(", ")));
    const t = el("table", { class: "impact" });
    t.appendChild(el("thead")).appendChild(row("th", ["Type", "Resource", "Change", "Bytes"]));
    const body = t.appendChild(el("tbody"));
    for (const res of c.resources) body.appendChild(row("td", [res.type, res.name, res.change, String(res.bytes)]));
    out.appendChild(t);
    const whole = Object.keys(c.typeBytes).sort().map((k) => k + " " + bytes(c.typeBytes[k])).join(", ");
    out.appendChild(el("p", { class: "note" }, "pushed to each: " + bytes(c.bytes) + " as Delta xDS; whole types (state of the world): " + whole));
  }
  for (const p of imp.problems) out.appendChild(el("p", { class: "no problem" }, "problem: " + p));
  for (const u of imp.unsupported) out.appendChild(el("p", { class: "note" }, "not served by sailplane (ignored): " + u));
}

function row(cell, values) {
  const tr = el("tr");
  for (const v of values) tr.appendChild(el(cell, {}, v));
  return tr;
}

// ---- pages ----

const PAGES = ["graph", "config", "proxies", "impact"];

function showPage() {
  const page = (location.hash.replace("#", "") || "graph").split("&")[0];
  state.page = PAGES.includes(page) ? page : "graph";
  for (const p of PAGES) {
    document.getElementById("page-" + p).hidden = p !== state.page;
    const tab = document.getElementById("tab-" + p);
    if (p === state.page) tab.setAttribute("aria-current", "page"); else tab.removeAttribute("aria-current");
  }
}

document.addEventListener("DOMContentLoaded", () => {
  takeToken();
  showPage();
  window.addEventListener("hashchange", showPage);
  document.getElementById("graph-search").addEventListener("input", applySearch);
  document.getElementById("config-filter").addEventListener("input", () => state.view && renderConfig());
  document.getElementById("config-problems").addEventListener("change", () => state.view && renderConfig());
  document.getElementById("proxy-filter").addEventListener("input", () => state.view && renderProxies());
  document.getElementById("impact-form").addEventListener("submit", previewImpact);
  document.getElementById("impact-file").addEventListener("change", async (ev) => {
    const f = ev.target.files[0];
    if (f) document.getElementById("impact-yaml").value = await f.text();
  });
  document.getElementById("auth-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem("sailplane-token", document.getElementById("auth-token").value.trim());
    state.token = sessionStorage.getItem("sailplane-token");
    state.etag = "";
  });
  poll();
});
