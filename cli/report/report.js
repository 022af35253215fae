// The instances table of a promptform report: sorting, filtering and
// paging over the rows embedded as JSON. Every text from the data goes
// into the page through textContent, never as markup.
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("report-data").textContent);
  const rows = data.rows;
  const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });
  const numbers = new Intl.NumberFormat("en");
  const markRank = { regressed: 4, fixed: 3, changed: 2, new: 1 };

  // Each column: how a row shows in it and what it sorts by. first is the
  // direction of the first click: 1 ascending, -1 descending.
  const columns = [
    { id: "address", label: "Address", first: 1, key: (r, i) => i, cell: (r) => textCell(r.address, "mono") },
    { id: "key", label: "Key", first: 1, text: (r) => r.key, cell: (r) => textCell(r.key, "mono") },
    { id: "inputs", label: "Inputs", first: 1, text: (r) => r.inputs, cell: (r) => textCell(r.inputs, "mono") },
    { id: "output", label: "Output", first: 1, text: (r) => r.output, cell: (r) => textCell(r.output) },
    { id: "asserts", label: "Asserts", first: -1, key: (r) => failures(r), cell: assertsCell },
    { id: "model", label: "Model", first: 1, text: (r) => r.model, cell: (r) => textCell(r.model) },
    { id: "tokens", label: "Tokens", first: -1, num: true, key: (r) => r.tokens, cell: tokensCell },
    { id: "cost", label: "Cost", first: -1, num: true, key: (r) => (r.cost_usd == null ? -1 : r.cost_usd), cell: costCell },
    { id: "latency", label: "Latency", first: -1, num: true, key: (r) => r.latency_ms, cell: (r) => textCell(duration(r.latency_ms)) },
  ];
  if (data.baseline) {
    columns.push({ id: "change", label: "Against baseline", first: -1, key: changeRank, cell: changeCell });
  }

  const view = {
    sort: columns[0], dir: 1, order: null,
    text: "", failedOnly: false, step: "", change: "",
    shown: [], page: 0, pageSize: 100,
  };
  const el = (id) => document.getElementById(id);
  const table = el("rows"), tbody = table.tBodies[0], counter = el("count");
  let haystacks = null; // each row's searchable text, lower case, built on the first text filter

  function textCell(text, cls) {
    const td = document.createElement("td");
    const div = document.createElement("div");
    div.className = "cell" + (cls ? " " + cls : "");
    div.textContent = text || "";
    td.appendChild(div);
    return td;
  }

  function mark(cls, text, message) {
    const frag = document.createDocumentFragment();
    const span = document.createElement("span");
    span.className = "mark " + cls;
    span.textContent = text;
    span.title = text;
    frag.appendChild(span);
    if (message) {
      const msg = document.createElement("div");
      msg.className = "msg";
      msg.textContent = message;
      frag.appendChild(msg);
    }
    return frag;
  }

  function assertsCell(r) {
    const td = document.createElement("td");
    const div = document.createElement("div");
    div.className = "cell";
    if (r.failed) {
      div.appendChild(mark("fail", "\u2717 answer refused", r.failed));
    }
    for (const a of r.asserts) {
      div.appendChild(a.passed ? mark("pass", "\u2713 " + a.name) : mark("fail", "\u2717 " + a.name, a.message));
    }
    td.appendChild(div);
    return td;
  }

  function tokensCell(r) {
    const td = textCell(numbers.format(r.tokens));
    td.className = "num";
    td.title = numbers.format(r.input_tokens) + " in, " + numbers.format(r.output_tokens) + " out";
    return td;
  }

  // usd spells an amount as the rest of promptform does: two decimals from
  // $1 up, three significant digits below, never $0.00 for a small one.
  function usd(x) {
    if (x == null) return "unpriced";
    if (x < 0) return "-" + usd(-x);
    if (x === 0 || x >= 1) return "$" + x.toLocaleString("en", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    const s = x.toFixed(Math.min(Math.max(2 - Math.floor(Math.log10(x)), 2), 100));
    if (parseFloat(s) >= 1) return "$1.00";
    const [whole, frac] = s.split(".");
    return "$" + whole + "." + frac.replace(/0+$/, "").padEnd(2, "0");
  }

  function costCell(r) {
    const td = textCell(usd(r.cost_usd));
    td.className = "num";
    const notes = [];
    if (r.price) notes.push(r.model + " at " + r.price);
    if (data.baseline && r.base_cost_usd != null) notes.push("baseline: " + usd(r.base_cost_usd));
    td.title = notes.join("\n");
    return td;
  }

  function changeCell(r) {
    const td = document.createElement("td");
    const div = document.createElement("div");
    div.className = "cell";
    for (const m of r.marks) {
      div.appendChild(mark(m.kind, changeText(m), m.message));
    }
    if (r.was) {
      const details = document.createElement("details");
      details.className = "was";
      const summary = document.createElement("summary");
      summary.textContent = "baseline output";
      const pre = document.createElement("div");
      pre.className = "msg";
      pre.textContent = r.was;
      details.append(summary, pre);
      div.appendChild(details);
    }
    td.appendChild(div);
    return td;
  }

  function changeText(m) {
    switch (m.kind) {
      case "regressed": return "\u2193 regressed" + (m.assert ? ": " + m.assert : " (answer refused)");
      case "fixed": return "\u2191 fixed" + (m.assert ? ": " + m.assert : " (answer kept)");
      case "changed": return "output changed";
      default: return "new";
    }
  }

  function failures(r) {
    let n = r.failed ? r.asserts.length + 1 : 0;
    for (const a of r.asserts) {
      if (!a.passed) n++;
    }
    return n;
  }

  function changeRank(r) {
    let rank = 0;
    for (const m of r.marks) rank = Math.max(rank, markRank[m.kind] || 0);
    return rank;
  }

  function duration(ms) {
    if (ms < 1000) return ms + " ms";
    if (ms < 60000) return (ms / 1000).toFixed(1) + " s";
    return Math.floor(ms / 60000) + "m" + Math.round((ms % 60000) / 1000) + "s";
  }

  function haystack(r) {
    const parts = [r.address, r.key, r.inputs, r.output, r.model, r.failed || ""];
    for (const a of r.asserts) parts.push(a.name, a.message || "");
    for (const m of r.marks) parts.push(changeText(m), m.message || "");
    return parts.join("\n").toLowerCase();
  }

  // sortOrder returns the row indexes in the order of the sort column,
  // ties by the rows' own order.
  function sortOrder() {
    const col = view.sort, dir = view.dir;
    const idx = rows.map((r, i) => i);
    if (col.text) {
      const keys = rows.map((r) => (col.text(r) || "").slice(0, 400));
      idx.sort((a, b) => dir * collator.compare(keys[a], keys[b]) || a - b);
    } else {
      const keys = rows.map(col.key);
      idx.sort((a, b) => dir * (keys[a] - keys[b]) || a - b);
    }
    return idx;
  }

  function matches(r, i, needle) {
    if (view.step && r.step !== view.step) return false;
    if (view.failedOnly && !r.bad) return false;
    if (view.change && !r.marks.some((m) => m.kind === view.change)) return false;
    if (needle) {
      if (!haystacks) haystacks = rows.map(haystack);
      if (haystacks[i].indexOf(needle) < 0) return false;
    }
    return true;
  }

  // refresh recomputes the shown rows and renders the first page.
  function refresh() {
    if (!view.order) view.order = sortOrder();
    const needle = view.text.trim().toLowerCase();
    view.shown = view.order.filter((i) => matches(rows[i], i, needle));
    view.page = 0;
    render();
  }

  function render() {
    const pages = Math.max(1, Math.ceil(view.shown.length / view.pageSize));
    view.page = Math.min(view.page, pages - 1);
    const start = view.page * view.pageSize;
    const end = Math.min(start + view.pageSize, view.shown.length);
    const frag = document.createDocumentFragment();
    for (let k = start; k < end; k++) {
      const r = rows[view.shown[k]];
      const tr = document.createElement("tr");
      tr.dataset.address = r.address;
      if (r.bad) tr.className = "bad";
      for (const col of columns) tr.appendChild(col.cell(r));
      frag.appendChild(tr);
    }
    tbody.replaceChildren(frag);
    counter.textContent = numbers.format(view.shown.length) + " of " + numbers.format(rows.length) + " rows";
    counter.dataset.shown = String(view.shown.length);
    counter.dataset.total = String(rows.length);
    el("range").textContent = view.shown.length === 0 ? "no rows match" :
      "rows " + numbers.format(start + 1) + "\u2013" + numbers.format(end) + ", page " + (view.page + 1) + " of " + pages;
    el("prev").disabled = view.page === 0;
    el("next").disabled = view.page >= pages - 1;
    for (const th of table.tHead.rows[0].cells) {
      th.setAttribute("aria-sort", th.dataset.col === view.sort.id ? (view.dir > 0 ? "ascending" : "descending") : "none");
    }
  }

  function buildHead() {
    const colgroup = document.createElement("colgroup");
    const tr = table.tHead.rows[0];
    for (const col of columns) {
      const c = document.createElement("col");
      c.className = "c-" + col.id;
      colgroup.appendChild(c);
      const th = document.createElement("th");
      th.dataset.col = col.id;
      if (col.num) th.className = "num";
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = col.label;
      button.addEventListener("click", () => {
        view.dir = view.sort === col ? -view.dir : col.first;
        view.sort = col;
        view.order = null;
        refresh();
      });
      th.appendChild(button);
      tr.appendChild(th);
    }
    table.insertBefore(colgroup, table.tHead);
  }

  function bind() {
    let timer = 0;
    el("filter").addEventListener("input", (e) => {
      clearTimeout(timer);
      timer = setTimeout(() => { view.text = e.target.value; refresh(); }, 200);
    });
    el("failed-only").addEventListener("change", (e) => { view.failedOnly = e.target.checked; refresh(); });
    el("step").addEventListener("change", (e) => { view.step = e.target.value; refresh(); });
    const change = el("change");
    if (change) change.addEventListener("change", (e) => { view.change = e.target.value; refresh(); });
    el("page-size").addEventListener("change", (e) => { view.pageSize = Number(e.target.value); view.page = 0; render(); });
    el("prev").addEventListener("click", () => { view.page--; render(); });
    el("next").addEventListener("click", () => { view.page++; render(); });
  }

  // A reload may keep what the controls held: start from it.
  function readControls() {
    view.text = el("filter").value;
    view.failedOnly = el("failed-only").checked;
    view.step = el("step").value;
    view.change = el("change") ? el("change").value : "";
    view.pageSize = Number(el("page-size").value) || 100;
  }

  buildHead();
  bind();
  readControls();
  refresh();
})();
