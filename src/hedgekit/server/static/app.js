// hedgekit web page: plain JS, no dependencies. Talks to the API of the same origin with
// the API key in the X-API-Key header; draws its charts as inline SVG.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const COLORS = { portfolio: "#1f5fbf", hedge: "#e07b00", hedged: "#2e8b57", corr: "#7b4fc4" };
  const LEGS = ["Portfolio", "Hedge", "Hedged Portfolio"];
  const PCT = new Set([
    "annualized_return", "annualized_volatility", "tracking_error", "variance_reduction",
    "max_drawdown", "holding_error",
  ]);
  const POLL_MS = 400;
  let apiKey = sessionStorage.getItem("hedgekit-key") || "";

  // ------------------------------------------------------------------ API
  async function api(path, options = {}) {
    const headers = Object.assign({ "X-API-Key": apiKey }, options.headers || {});
    const response = await fetch(path, Object.assign({}, options, { headers }));
    if (!response.ok) {
      let detail = response.status + " " + response.statusText;
      let errors = [];
      try {
        const body = await response.json();
        detail = body.detail || detail;
        errors = body.errors || [];
      } catch (e) { /* not JSON */ }
      const error = new Error(detail);
      error.status = response.status;
      error.errors = errors;
      throw error;
    }
    return response;
  }

  // ------------------------------------------------------------------ helpers
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v; else node.setAttribute(k, v);
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  }

  function fmt(value, kind) {
    if (value === null || value === undefined || Number.isNaN(value)) return "–";
    if (typeof value !== "number") return String(value);
    if (kind === "pct") return (value * 100).toFixed(1) + "%";
    if (kind === "int") return Math.round(value).toLocaleString("en-US");
    if (kind === "1" || kind === "2") return value.toFixed(Number(kind));
    if (kind === "usd") return "$" + Math.round(value).toLocaleString("en-US");
    if (Number.isInteger(value)) return value.toLocaleString("en-US");
    if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString("en-US");
    return value.toFixed(Math.abs(value) >= 100 ? 1 : 3);
  }

  function list(text) {
    return text.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  }

  function setStatus(text) { $("status").textContent = text; }

  function showError(err) {
    const box = $("error");
    box.textContent = "";
    if (!err) { box.hidden = true; return; }
    box.append(el("strong", {}, err.message || String(err)));
    const items = (err.errors || []).filter((e) => e.message && e.message !== err.message);
    if (items.length > 1) {
      const ul = el("ul");
      for (const e of items) ul.append(el("li", {}, e.message));
      box.append(ul);
    }
    box.hidden = false;
  }

  // ------------------------------------------------------------------ inputs
  function parsePositions(text) {
    const rows = [];
    const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
    let columns = null;
    lines.forEach((line, i) => {
      let cells = line.split(/[,;\t]/);
      if (cells.length < 2) cells = line.split(/[\s=]+/);
      cells = cells.map((c) => c.trim().replace(/^"|"$/g, "")).filter((c) => c);
      const lower = cells.map((c) => c.toLowerCase());
      if (i === 0 && (lower.includes("identifier") || lower.includes("ticker"))) {
        columns = lower;
        return;
      }
      let id = cells[0];
      let raw = cells[1];
      let kind = null;
      if (columns) {
        const idCol = Math.max(columns.indexOf("identifier"), columns.indexOf("ticker"));
        const q = columns.indexOf("quantity");
        const w = columns.indexOf("weight");
        id = cells[idCol];
        if (q >= 0 && cells[q] !== undefined) { raw = cells[q]; kind = "quantity"; }
        else if (w >= 0) { raw = cells[w]; kind = "weight"; }
      }
      if (!id || raw === undefined) {
        throw new Error(`positions line ${i + 1}: "${line}" needs TICKER,QUANTITY or TICKER,WEIGHT%`);
      }
      const percent = raw.endsWith("%");
      const value = Number(raw.replace(/%$/, "").replace(/_/g, ""));
      if (!Number.isFinite(value)) {
        throw new Error(`positions line ${i + 1}: "${raw}" is not a number`);
      }
      if (percent || kind === "weight") {
        rows.push({ identifier: id, weight: percent ? value / 100 : value });
      } else {
        rows.push({ identifier: id, quantity: value });
      }
    });
    if (!rows.length) throw new Error("add at least one position, e.g. KSTD,100000");
    return rows;
  }

  function parseConstraints(text) {
    const out = {};
    const kinds = { asset: "assets", country: "countries", region: "regions", sector: "sectors",
      industry: "industries", esg: "esg" };
    for (const plural of Object.values(kinds)) kinds[plural] = plural;
    text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l).forEach((line, i) => {
      const cells = line.split(",").map((c) => c.trim());
      const kind = kinds[(cells[0] || "").toLowerCase()];
      if (!kind || cells.length !== 4) {
        throw new Error(`constraints line ${i + 1}: "${line}": write KIND,NAME,MIN,MAX, e.g. sector,Energy,0,20`);
      }
      (out[kind] = out[kind] || []).push({
        constraint_name: cells[1], minimum: Number(cells[2]), maximum: Number(cells[3]),
      });
    });
    return out;
  }

  function numberOrNull(id) {
    const v = $(id).value.trim();
    return v === "" ? null : Number(v);
  }

  function buildRequest(method) {
    const positions = parsePositions($("positions").value);
    const parameters = {
      max_names: numberOrNull("p-max-names"),
      max_weight: numberOrNull("p-max-weight") ?? 100,
      min_weight: numberOrNull("p-min-weight") ?? 0,
      max_leverage: numberOrNull("p-leverage") ?? 100,
      percentage_in_cash: numberOrNull("p-cash"),
      max_adv_percentage: numberOrNull("p-adv") ?? 15,
      max_return_deviation: numberOrNull("p-deviation") ?? 5,
      sampling_period: $("p-sampling").value,
      lasso_weight: numberOrNull("p-lasso") ?? 0,
      ridge_weight: numberOrNull("p-ridge") ?? 0,
      exclude_hard_to_borrow_assets: $("ex-htb").checked,
      exclude_restricted_assets: $("ex-restricted").checked,
    };
    if ($("p-start").value) parameters.observation_start_date = $("p-start").value;
    const extra = $("p-extra").value.trim();
    if (extra) {
      let more;
      try { more = JSON.parse(extra); } catch (e) {
        throw new Error("more parameters: not valid JSON (" + e.message + ")");
      }
      if (typeof more !== "object" || more === null || Array.isArray(more)) {
        throw new Error('more parameters: give a JSON object like {"min_market_cap": 1e9}');
      }
      Object.assign(parameters, more);
    }
    const body = {
      positions,
      date: $("date").value,
      universe: list($("universe").value),
      method,
      exclusions: {
        assets: list($("ex-assets").value), sectors: list($("ex-sectors").value),
        industries: list($("ex-industries").value), countries: list($("ex-countries").value),
        regions: list($("ex-regions").value),
      },
      constraints: parseConstraints($("constraints").value),
      parameters,
    };
    if (positions.some((p) => p.weight !== undefined)) body.notional = numberOrNull("notional");
    return body;
  }

  // ------------------------------------------------------------------ charts
  function lineChart(dates, series, options) {
    const W = 640, H = 230, L = 48, R = 10, T = 10, B = 26;
    const box = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img",
      "aria-label": options.label });
    const n = dates.length;
    const values = series.flatMap((s) => s.values).filter((v) => v !== null && Number.isFinite(v));
    if (!n || !values.length) return box;
    let lo = options.min ?? Math.min(...values), hi = options.max ?? Math.max(...values);
    if (hi - lo < 1e-9) { hi += 0.5; lo -= 0.5; }
    const x = (i) => L + (W - L - R) * (n > 1 ? i / (n - 1) : 0.5);
    const y = (v) => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
    if (options.shadeFrom !== undefined && options.shadeFrom >= 0 && options.shadeFrom < n) {
      box.append(svg("rect", { x: x(options.shadeFrom), y: T, width: x(n - 1) - x(options.shadeFrom),
        height: H - T - B, fill: "#eef1f6" }));
    }
    for (let k = 0; k <= 4; k++) {
      const v = lo + (hi - lo) * k / 4;
      box.append(svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#e3e7ee" }));
      const label = svg("text", { x: L - 4, y: y(v) + 4, "text-anchor": "end" });
      label.textContent = options.format(v);
      box.append(label);
    }
    if (options.zero && lo < 0 && hi > 0) {
      box.append(svg("line", { x1: L, x2: W - R, y1: y(0), y2: y(0), stroke: "#9aa3b2" }));
    }
    if (options.markAt !== undefined && options.markAt >= 0) {
      box.append(svg("line", { x1: x(options.markAt), x2: x(options.markAt), y1: T, y2: H - B,
        stroke: "#6b7385", "stroke-dasharray": "4 3" }));
    }
    const ticks = [0, options.markAt, n - 1].filter((i) => i !== undefined && i >= 0);
    for (const i of [...new Set(ticks)]) {
      const t = svg("text", { x: x(i), y: H - 8, "text-anchor": i === 0 ? "start" : i === n - 1 ? "end" : "middle" });
      t.textContent = dates[i];
      box.append(t);
    }
    for (const s of series) {
      let d = "";
      let pen = false;
      s.values.forEach((v, i) => {
        if (v === null || !Number.isFinite(v)) { pen = false; return; }
        d += (pen ? "L" : "M") + x(i).toFixed(1) + " " + y(v).toFixed(1);
        pen = true;
      });
      box.append(svg("path", { d, fill: "none", stroke: s.color, "stroke-width": "1.6",
        "data-series": s.name }));
    }
    return box;
  }

  function legend(series) {
    const div = el("div", { class: "legend" });
    for (const s of series) {
      const span = el("span", {}, s.name);
      span.style.setProperty("--swatch", s.color);
      div.append(span);
    }
    return div;
  }

  // ------------------------------------------------------------------ results
  function statisticsTable(stats) {
    const samples = ["in_sample", "out_of_sample"].filter((s) => stats[`${s}.Portfolio`]);
    const cols = samples.flatMap((s) => LEGS.map((leg) => `${s}.${leg}`));
    const measures = Object.keys(stats[cols[0]] || {});
    const head = el("tr", {}, el("th", { class: "text" }, "measure"),
      ...cols.map((c) => el("th", {}, c.replace("in_sample.", "in: ").replace("out_of_sample.", "out: ")
        .replace("Hedged Portfolio", "hedged").replace("Portfolio", "portfolio").replace("Hedge", "hedge"))));
    const body = measures.map((m) => el("tr", {}, el("td", { class: "text" }, m.replaceAll("_", " ")),
      ...cols.map((c) => el("td", {}, fmt(stats[c][m], PCT.has(m) ? "pct" : "")))));
    return el("div", { class: "scroll" }, el("table", { class: "statistics" }, el("thead", {}, head),
      el("tbody", {}, ...body)));
  }

  function constituentsTable(rows, method) {
    const cols = [["identifier", "text"], ["name", "text"], ["sector", "text"], ["shares", "int"],
      ["notional", "usd"], ["weight", "w"], ["transaction_cost_bps", "1"], ["adv_pct", "2"],
      ["correlation", "2"]];
    const titles = { identifier: "ticker", transaction_cost_bps: "cost bps", adv_pct: "ADV %",
      weight: "weight %" };
    const cls = (c, k) => (k === "text" ? `text ${c}` : "");
    const head = el("tr", {}, ...cols.map(([c, k]) => el("th", { class: cls(c, k) }, titles[c] || c)));
    const body = rows.map((r) => el("tr", {}, ...cols.map(([c, k]) => el("td", { class: cls(c, k), title: k === "text" ? (r[c] ?? "") : "" },
      k === "text" ? (r[c] ?? "") : k === "w" ? (r[c] ?? 0).toFixed(2) : fmt(r[c], k)))));
    return el("div", { class: "scroll" }, el("table", { class: "constituents", id: `constituents-${method}` },
      el("thead", {}, head), el("tbody", {}, ...body)));
  }

  async function downloadBasket(job) {
    const response = await api(job.links.basket);
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: `hedge-${job.id}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  function blobToDataUrl(blob) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(blob);
    });
  }

  async function showMonitor(job, box, date) {
    box.textContent = "monitoring…";
    const query = date ? `?date=${encodeURIComponent(date)}` : "";
    const base = `/v1/hedges/${encodeURIComponent(job.id)}/monitor`;
    const m = await (await api(base + query)).json();
    const png = await (await api(base + ".png" + query)).blob();
    box.textContent = "";
    box.append(
      el("p", { class: "verdict " + (m.verdict === "rebalance recommended" ? "warn" : "ok") }, m.verdict),
      el("p", { class: "monitor-summary" },
        `Since ${m.inception} to ${m.as_of} (${m.observations} days): tracking error ${fmt(m.realised_tracking_error, "pct")} ` +
        `realised vs ${fmt(m.predicted_tracking_error, "pct")} predicted; variance reduction ${fmt(m.variance_reduction, "pct")}; ` +
        `hedge ratio ${fmt(m.hedge_ratio.inception, "pct")} → ${fmt(m.hedge_ratio.now, "pct")}; ` +
        `holding error ${fmt(m.holding_error, "pct")} (the drifted hedge against its weights at inception).`));
    if (m.reasons.length) box.append(el("ul", { class: "reasons" }, ...m.reasons.map((r) => el("li", {}, r))));
    if (m.trades && m.trades.length) {
      const cols = ["ticker", "side", "current_shares", "target_shares", "trade_shares", "cost_usd"];
      box.append(el("h4", {}, "Trades to a fresh fit"), el("div", { class: "scroll" },
        el("table", { class: "trades" },
          el("thead", {}, el("tr", {}, ...cols.map((c) => el("th", {}, c.replace("_", " "))))),
          el("tbody", {}, ...m.trades.map((t) => el("tr", {}, ...cols.map((c) =>
            el("td", {}, typeof t[c] === "number" ? Math.round(t[c]).toLocaleString("en-US") : (t[c] ?? "")))))))));
    }
    box.append(el("img", { class: "monitor-plot", alt: "hedged return against the predicted band",
      src: await blobToDataUrl(png) }));
  }

  function monitorControls(job) {
    const box = el("div", { class: "monitor" });
    const date = el("input", { type: "date", class: "monitor-date", "aria-label": "monitoring date" });
    const button = el("button", { type: "button", class: "secondary monitor-button" }, "Monitor since the hedge date");
    button.addEventListener("click", () => showMonitor(job, box, date.value).catch((err) => {
      box.textContent = "";
      showError(err);
    }));
    return el("div", { class: "monitor-controls" }, el("h4", {}, "After day one"), date, button, box);
  }

  function renderPane(pane, job) {
    pane.textContent = "";
    pane.className = "pane " + job.status;
    pane.dataset.status = job.status;
    pane.append(el("h3", {}, `${job.method} hedge`),
      el("div", { class: "meta" }, `job ${job.id} · ${job.status} · ${job.identifiers.join(", ")} on ${job.date}`));
    if (job.status === "failed") {
      pane.append(el("div", { class: "error" }, job.error ? job.error.message : "failed"));
      return;
    }
    if (job.status !== "done") {
      pane.append(el("p", { class: "summary" }, job.status === "queued" ? "waiting in the queue…" : "computing…"));
      return;
    }
    const r = job.result;
    const d = r.diagnostics || {};
    const s = r.statistics;
    const te = (k) => (s[k] ? fmt(s[k].tracking_error, "pct") : "–");
    const vr = (k) => (s[k] ? fmt(s[k].variance_reduction, "pct") : "–");
    pane.append(el("p", { class: "summary" },
      `Hedge as of ${r.date}${r.synthetic ? " (SYNTHETIC demo data)" : ""}: portfolio ${fmt(d.portfolio_notional, "usd")}, ` +
      `hedge ${fmt(d.hedge_notional, "usd")}, ${r.constituents.length} names. Tracking error ${te("in_sample.Hedge")} in sample, ` +
      `${te("out_of_sample.Hedge")} out of sample; variance reduction ${vr("in_sample.Hedge")} / ${vr("out_of_sample.Hedge")}.`));
    const button = el("button", { type: "button", class: "secondary download" }, "Download basket (CSV)");
    button.addEventListener("click", () => downloadBasket(job).catch(showError));
    pane.append(button);

    const b = r.backtest;
    const hedgeIndex = b.dates.findIndex((x) => x > r.date) - 1;
    const oos = b.sample.indexOf("out_of_sample");
    const perf = [
      { name: "portfolio", values: b.portfolio, color: COLORS.portfolio },
      { name: "hedge (short basket)", values: b.hedge, color: COLORS.hedge },
      { name: "hedged", values: b.hedged, color: COLORS.hedged },
    ];
    pane.append(el("h4", {}, "Backtest: growth of 1 (shaded: out of sample)"), legend(perf),
      lineChart(b.dates, perf, { label: "backtest", format: (v) => v.toFixed(2), shadeFrom: oos,
        markAt: hedgeIndex >= 0 ? hedgeIndex : (oos > 0 ? oos - 1 : undefined) }));
    const corr = [{ name: "44-period correlation, portfolio vs hedge", values: b.correlation_44, color: COLORS.corr }];
    pane.append(el("h4", {}, "Rolling correlation"), legend(corr),
      lineChart(b.dates, corr, { label: "rolling correlation", format: (v) => v.toFixed(1), min: -1, max: 1,
        zero: true, shadeFrom: oos, markAt: oos > 0 ? oos - 1 : undefined }));
    pane.append(el("h4", {}, "Constituents"), constituentsTable(r.constituents, job.method));
    pane.append(el("h4", {}, "Statistics"), statisticsTable(s));
    if (job.method === "returns" || job.method === "factor") pane.append(monitorControls(job));
  }

  async function follow(job, pane) {
    renderPane(pane, job);
    while (job.status === "queued" || job.status === "running") {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      try {
        job = await (await api(job.links.status)).json();
      } catch (err) {
        if (err.status === 429) continue;
        throw err;
      }
      renderPane(pane, job);
    }
    return job;
  }

  // ------------------------------------------------------------------ wiring
  async function connect() {
    apiKey = $("api-key").value.trim();
    if ($("remember-key").checked) sessionStorage.setItem("hedgekit-key", apiKey);
    else sessionStorage.removeItem("hedgekit-key");
    const badge = $("market-badge");
    try {
      const info = await (await api("/v1/market")).json();
      badge.textContent = `${info.synthetic ? "SYNTHETIC demo market" : "real data"} · ${info.start} to ${info.end} · ${info.tickers} tickers`;
      badge.className = "badge " + (info.synthetic ? "synthetic" : "real");
      if (!$("date").value) {
        const end = new Date(info.end + "T00:00:00Z");
        end.setUTCFullYear(end.getUTCFullYear() - 1);
        $("date").value = end.toISOString().slice(0, 10);
      }
      showError(null);
      return true;
    } catch (err) {
      badge.textContent = "not connected";
      badge.className = "badge";
      showError(err);
      return false;
    }
  }

  async function submit(event) {
    event.preventDefault();
    showError(null);
    if (!apiKey || apiKey !== $("api-key").value.trim()) {
      if (!(await connect())) return;
    }
    const methods = [$("method").value];
    if ($("compare").value && $("compare").value !== methods[0]) methods.push($("compare").value);
    let bodies;
    try {
      if (!$("date").value) throw new Error("choose a hedge date");
      bodies = methods.map(buildRequest);
    } catch (err) {
      showError(err);
      return;
    }
    $("submit").disabled = true;
    const results = $("results");
    results.textContent = "";
    try {
      setStatus("submitting…");
      const jobs = [];
      for (const body of bodies) {
        const response = await api("/v1/hedges", {
          method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
        });
        jobs.push(await response.json());
      }
      setStatus("running…");
      const panes = jobs.map((job) => {
        const pane = el("section", { class: "pane", "data-method": job.method });
        results.append(pane);
        return pane;
      });
      const done = await Promise.all(jobs.map((job, i) => follow(job, panes[i])));
      const failed = done.filter((j) => j.status === "failed").length;
      setStatus(failed ? `${failed} of ${done.length} failed` : "done");
    } catch (err) {
      setStatus("");
      showError(err);
    } finally {
      $("submit").disabled = false;
    }
  }

  function loadFile(event) {
    const file = event.target.files[0];
    if (!file) return;
    const reader = new FileReader();
    reader.onload = () => { $("positions").value = String(reader.result); };
    reader.readAsText(file);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("api-key").value = apiKey;
    $("remember-key").checked = Boolean(apiKey);
    $("connect").addEventListener("click", connect);
    $("hedge-form").addEventListener("submit", submit);
    $("positions-file").addEventListener("change", loadFile);
    if (apiKey) connect();
  });
})();
