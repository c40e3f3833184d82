// The results list beside the map: a Streamlit component (st.components.v2) drawing an HTML table.
//
// Why not st.dataframe: its grid is 1.3 MB of code (glide-data-grid and Arrow) that a first load
// parses and runs before the list shows, drawn on a canvas; its toolbar also offered a CSV download
// that skipped the downloads' spreadsheet-formula guard. This file is a few KB; a row is a <tr>, a
// name is a <button> (Tab and Enter reach it), a website a link.
//
// Everything from the data is set as textContent; the only attributes set from it are a website's
// href (an http(s) URL the server validated) and a phone's tel: URL (built by the server from the
// digits). Facility text is never parsed as HTML.
//
// data: {key: what the rows were made from (a new key draws them anew),
//        columns: [{key, title, help, kind: "name" | "text" | "num" | "types" | "phone" | "link", wrap}],
//        rows: {column key: [value per row]} (rows.tel: tel: URLs or null, beside rows.phone;
//               rows.services: indices into types; rows.website: [href, host] or null),
//        sort: {column key: [number or null per row]} (columns sorted by number, not by text),
//        types: [label], selected: row index | -1, caption, note (said above the table, or ""), height,
//        words: {sorted: "… {column} …"}} (said to screen readers after a sort; the map says what is selected)
// The table says data-drawn once its first rows are drawn, data-rows (their number) once all are.
// It sends one trigger, "pick": the index of the row chosen.

const FIRST_ROWS = 40, CHUNK_ROWS = 200;
// Column widths (em): fixed, so the columns neither jump as later rows arrive nor make the browser measure
// every cell of every row to lay the table out.
const WIDTHS = {name: 20, drive: 12, distance_miles: 4.5, phone: 9.5, availability: 11, city: 10, services: 33,
                listed: 4.5, verified: 6, website: 12};

class FacilityList {
  constructor(root) {
    this.scroll = root.querySelector(".scroll");
    this.caption = root.querySelector("caption");
    this.note = root.querySelector(".note");
    this.head = root.querySelector("thead tr");
    this.body = root.querySelector("tbody");
    this.status = root.querySelector(".status");
    this.table = root.querySelector("table");
    this.cols = root.querySelector("colgroup");
    this.key = null;
    this.rows = [];  // the <tr> of each row, in the data's order
    this.selected = -1;
    this.sortBy = null;
    this.ascending = true;
    this.body.addEventListener("click", e => this.click(e));
    this.body.addEventListener("keydown", e => this.key_(e));
    this.current = 0;  // the row whose name is the list's one stop in the Tab order
  }

  update(data) {
    this.data = data;
    this.scroll.style.maxHeight = data.height + "px";
    if (data.key !== this.key) {
      this.key = data.key;
      this.sortBy = null;
      this.selected = -1;
      this.current = data.selected >= 0 ? data.selected : 0;
      this.drawHead();
      this.drawRows();
    }
    this.select(data.selected, true);
  }

  drawHead() {
    const d = this.data;
    this.caption.textContent = d.caption || "";
    this.note.textContent = d.note || "";  // the list shows only part of the result: said above it
    this.note.hidden = !d.note;
    const cells = d.columns.map(col => {
      const th = document.createElement("th");
      th.scope = "col";
      th.dataset.key = col.key;
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = col.title;
      if (col.help) button.title = col.help;
      button.addEventListener("click", () => this.sort(col.key));
      th.appendChild(button);
      return th;
    });
    this.head.replaceChildren(...cells);
    const cols = d.columns.map(col => {
      const c = document.createElement("col");
      c.style.width = (WIDTHS[col.key] || 10) + "em";
      return c;
    });
    this.cols.replaceChildren(...cols);
    this.table.style.width = d.columns.reduce((sum, col) => sum + (WIDTHS[col.key] || 10), 0) + "em";
  }

  // The rows a person sees first are drawn at once; the rest follow in chunks while the page is idle
  // (a national list's 1,000 rows laid out at once held the first load up by 250 ms here).
  drawRows() {
    const n = this.data.rows.name.length;
    this.rows = new Array(n);
    this.built = 0;
    this.body.replaceChildren();
    this.table.removeAttribute("data-rows");
    clearTimeout(this.later);
    this.build(FIRST_ROWS);
    this.table.setAttribute("data-drawn", "");
    this.more();
  }

  // Rows up to ``upto`` (in the data's order) made and put in the table; ``data-rows`` once all are.
  build(upto) {
    const d = this.data, n = Math.min(upto, this.rows.length);
    if (this.built >= n) {
      if (n === this.rows.length) this.table.setAttribute("data-rows", String(n));
      return;
    }
    const made = [];
    for (let i = this.built; i < n; i++) {
      const tr = document.createElement("tr");
      tr.dataset.i = i;
      for (const col of d.columns) tr.appendChild(this.cell(col, i));
      this.rows[i] = tr;
      made.push(tr);
    }
    this.built = n;
    if (this.sortBy === null) this.body.append(...made);
    if (n === this.rows.length) this.table.setAttribute("data-rows", String(n));
  }

  more() {
    if (this.built >= this.rows.length) return;
    this.later = setTimeout(() => { this.build(this.built + CHUNK_ROWS); this.more(); }, 0);
  }

  cell(col, i) {
    const r = this.data.rows, value = r[col.key][i];
    if (col.kind === "name") {
      const th = document.createElement("th");
      th.scope = "row";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "pick";
      button.tabIndex = i === this.current ? 0 : -1;  // one stop in the page's Tab order: the arrows move
      button.textContent = value;
      th.appendChild(button);
      return th;
    }
    const td = document.createElement("td");
    if (col.kind === "num") td.className = "num nowrap";
    else if (col.wrap) td.className = "wrap";
    else td.className = "nowrap";
    if (col.kind === "types") {
      for (const t of value || []) {
        const span = document.createElement("span");
        span.className = "type";
        span.textContent = this.data.types[t];
        td.appendChild(span);
      }
    } else if (col.kind === "phone" && r.tel[i]) {
      const a = document.createElement("a");
      a.href = r.tel[i];
      a.tabIndex = -1;  // a pointer's; the keyboard opens the detail, which has the number too
      a.textContent = value;
      td.appendChild(a);
    } else if (col.kind === "link") {
      if (value) {
        const a = document.createElement("a");
        a.href = value[0];
        a.target = "_blank";
        a.rel = "noopener noreferrer nofollow";
        a.tabIndex = -1;  // as the phone's
        a.textContent = value[1];
        td.appendChild(a);
      }
    } else {
      td.textContent = value == null ? "" : value;
      if (td.className === "nowrap" && value) td.title = value;  // cut short with "…" when too long
    }
    return td;
  }

  click(e) {
    if (e.target.closest("a")) return;  // a phone or a website: the link, not the row
    const tr = e.target.closest("tr");
    if (!tr || tr.dataset.i === undefined) return;
    const i = Number(tr.dataset.i);
    this.select(i, false);
    if (this.send) this.send("pick", i);
  }

  // Up and Down (Home, End) move between the names, in the order shown; Tab leaves the list.
  key_(e) {
    const here = e.target.closest("tr");
    if (!here || !e.target.classList.contains("pick")) return;
    const rows = this.body.children;
    const to = {ArrowDown: here.nextElementSibling, ArrowUp: here.previousElementSibling,
                Home: rows[0], End: rows[rows.length - 1]}[e.key];
    if (to === undefined) return;
    e.preventDefault();
    if (e.key === "End") this.build(this.rows.length);
    const row = e.key === "End" ? this.body.lastElementChild : to;
    if (row) this.focusRow(Number(row.dataset.i));
  }

  focusRow(i) {
    const old = this.rows[this.current], row = this.rows[i];
    if (!row) return;
    if (old) old.querySelector(".pick").tabIndex = -1;
    this.current = i;
    const button = row.querySelector(".pick");
    button.tabIndex = 0;
    button.focus();
  }

  select(i, scroll) {
    if (i === this.selected) return;
    if (i >= this.built) this.build(i + 1);
    const old = this.rows[this.selected];
    if (old) {
      old.classList.remove("selected");
      old.querySelector(".pick").removeAttribute("aria-current");
    }
    this.selected = i;
    const row = this.rows[i];
    if (!row) return;
    row.classList.add("selected");
    row.querySelector(".pick").setAttribute("aria-current", "true");
    if (i !== this.current) {  // the list's Tab stop follows the selection
      const stop = this.rows[this.current];
      if (stop) stop.querySelector(".pick").tabIndex = -1;
      this.current = i;
      row.querySelector(".pick").tabIndex = 0;
    }
    // Chosen elsewhere (on the map): bring its row into the list's view, without scrolling the page.
    if (scroll) {
      const top = row.offsetTop - this.head.offsetHeight, box = this.scroll;
      if (top < box.scrollTop || row.offsetTop + row.offsetHeight > box.scrollTop + box.clientHeight)
        box.scrollTop = Math.max(0, top - box.clientHeight / 3);
    }
  }

  sort(key) {
    clearTimeout(this.later);
    this.build(this.rows.length);
    this.ascending = this.sortBy === key ? !this.ascending : true;
    this.sortBy = key;
    const d = this.data, numbers = d.sort[key], texts = d.rows[key], sign = this.ascending ? 1 : -1;
    const collator = new Intl.Collator(document.documentElement.lang || undefined, {numeric: true, sensitivity: "base"});
    const text = i => {
      const v = texts[i];
      if (Array.isArray(v)) return key === "services" ? v.map(t => d.types[t]).join(", ") : v[1] || "";
      return v == null ? "" : String(v);
    };
    const order = this.rows.map((_, i) => i);
    order.sort((a, b) => {
      // What a source does not say goes last, whichever way the column is sorted.
      if (numbers) {
        const x = numbers[a], y = numbers[b];
        if (x == null || y == null) return (x == null) - (y == null) || a - b;
        return sign * (x - y) || a - b;
      }
      const x = text(a), y = text(b);
      if (!x || !y) return !x - !y || a - b;
      return sign * collator.compare(x, y) || a - b;
    });
    this.body.replaceChildren(...order.map(i => this.rows[i]));
    for (const th of this.head.children)
      if (th.dataset.key === key) th.setAttribute("aria-sort", this.ascending ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    const title = d.columns.find(c => c.key === key).title;
    this.status.textContent = (d.words.sorted || "{column}").replace("{column}", title);
  }
}

export default function ({data, parentElement, setTriggerValue}) {
  let list = parentElement.__facilityList;
  if (!list) {
    list = new FacilityList(parentElement);
    parentElement.__facilityList = list;
  }
  list.send = setTriggerValue;  // sends the "pick" trigger
  list.update(data);
}
