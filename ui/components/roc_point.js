// A draggable operating point on a ROC curve. Everything updates in the browser while dragging;
// the chosen threshold goes back to Python once, when the pointer is released.
// The maths mirrors lib/metrics/roc.py: vertex i has TP = round(tpr[i] * nPos), FP = round(fpr[i] * nNeg).
//
// A slider for the keyboard and a screen reader: its value is the threshold (aria-valuenow, -valuemin, -valuemax,
// and aria-valuetext "threshold 0.3860: sensitivity 95 %, specificity 82 %"). The keys move in the direction of that
// value, like the threshold box's arrows: ArrowRight / ArrowUp raise the threshold (one vertex: the point moves down
// and left along the curve, fewer referred), ArrowLeft / ArrowDown lower it, PageUp / PageDown by a tenth of the
// vertices, Home to the lowest threshold (everyone referred), End to the highest (no one). After each move a polite
// live region reads the panel's figures. On a touch screen only the handle (a 44-pixel target) can be dragged: a
// swipe anywhere else on the curve scrolls the page, and a tap there moves nothing.

const SIZE = 400, PAD = 56, SVGNS = "http://www.w3.org/2000/svg";
// Room below the plot for the tick labels and the x-axis title: every text stays inside the viewBox.
const WIDTH = SIZE + PAD + 20, HEIGHT = SIZE + PAD + 64;

const TEMPLATE = `
<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" tabindex="0" role="slider" aria-label="Operating point on the ROC curve"
     aria-orientation="horizontal">
  <g class="grids"></g>
  <line class="chance" x1="${PAD}" y1="${PAD + SIZE}" x2="${PAD + SIZE}" y2="${PAD}"></line>
  <line class="axis" x1="${PAD}" y1="${PAD + SIZE}" x2="${PAD + SIZE}" y2="${PAD + SIZE}"></line>
  <line class="axis" x1="${PAD}" y1="${PAD}" x2="${PAD}" y2="${PAD + SIZE}"></line>
  <text class="label" x="${PAD + SIZE / 2}" y="${PAD + SIZE + 44}" text-anchor="middle">1 - specificity (false positive rate)</text>
  <text class="label" transform="translate(21 ${PAD + SIZE / 2}) rotate(-90)" text-anchor="middle">sensitivity (true positive rate)</text>
  <path class="curve"></path>
  <circle class="youden" r="8"></circle>
  <text class="youden-label"></text>
  <line class="isocost"></line>
  <g class="marks"></g>
  <g class="class-points"></g>
  <rect class="cheapest" width="16" height="16"></rect>
  <text class="cheapest-label"></text>
  <circle class="handle" r="11"></circle>
  <circle class="grab" r="30"></circle>
  <text class="auc" x="${PAD + SIZE - 8}" y="${PAD + SIZE - 14}" text-anchor="end"></text>
</svg>
<div class="live" aria-live="polite" aria-atomic="true"></div>
<div class="panel">
  <div>Threshold <span class="big" data-field="threshold"></span></div>
  <div class="row">
    <div>Sensitivity<br><span class="big" data-field="sensitivity"></span></div>
    <div>Specificity<br><span class="big" data-field="specificity"></span></div>
  </div>
  <table class="cm">
    <tr><th></th><th>refer (truth)</th><th>no refer (truth)</th></tr>
    <tr><th>referred</th><td class="tp" data-field="tp"></td><td class="fp" data-field="fp"></td></tr>
    <tr><th>not referred</th><td class="fn" data-field="fn"></td><td class="tn" data-field="tn"></td></tr>
  </table>
  <div>PPV <b data-field="ppv"></b> · NPV <b data-field="npv"></b> <span class="muted">(this test set)</span></div>
  <div>PPV <b data-field="ppv_prev"></b> · NPV <b data-field="npv_prev"></b> <span class="muted">at prevalence <span data-field="prevalence"></span></span></div>
  <div class="cost-row">Expected cost per 1,000 screened: <b data-field="cost"></b> <span class="muted">(lowest: <span data-field="cost_min"></span>)</span></div>
</div>`;

function pct(value) {
  return Number.isFinite(value) ? (100 * value).toFixed(1) + "%" : "n/a";
}

function ratio(num, den) {
  return den > 0 ? num / den : NaN;
}

// Expected cost per 1,000 screened at vertex i (lib/metrics/cost.py's formula), at the population's prevalence.
export function costAt(d, i) {
  const f = figuresAt(d, i), p = d.prevalence;
  return 1000 * (p * (1 - f.sensitivity) * d.costs.missed + (1 - p) * (1 - f.specificity) * d.costs.unneeded);
}

function perThousand(value) {
  return value.toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
}

export function figuresAt(d, i) {
  const tp = Math.round(d.tpr[i] * d.nPos), fp = Math.round(d.fpr[i] * d.nNeg);
  const fn = d.nPos - tp, tn = d.nNeg - fp;
  const se = ratio(tp, tp + fn), sp = ratio(tn, tn + fp), p = d.prevalence;
  return {
    tp, fp, fn, tn, sensitivity: se, specificity: sp,
    ppv: ratio(tp, tp + fp), npv: ratio(tn, tn + fn),
    ppv_prev: ratio(se * p, se * p + (1 - sp) * (1 - p)),
    npv_prev: ratio(sp * (1 - p), sp * (1 - p) + (1 - se) * p),
  };
}

function vertexIndex(d, threshold) {
  // last vertex whose threshold is >= the given one (thresholds decrease along the curve)
  let lo = 0, hi = d.thr.length - 1, best = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (d.thr[mid] >= threshold) { best = mid; lo = mid + 1; } else { hi = mid - 1; }
  }
  return best;
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  if (!data || !data.fpr) return;
  let root = parentElement.querySelector(".roc-root");
  if (!root) {
    root = document.createElement("div");
    root.className = "roc-root";
    root.innerHTML = TEMPLATE;
    parentElement.appendChild(root);
  }
  // Presentation mode (a projector): the same figure and panel, larger.
  root.classList.toggle("present", Boolean(data.presentation));
  // A poll on the projector: the curve and the class's points only (the answers and the median are listed beside it).
  root.classList.toggle("no-panel", data.panel === false);
  const svg = root.querySelector("svg");
  const sx = (f) => PAD + f * SIZE, sy = (t) => PAD + (1 - t) * SIZE;
  const grids = root.querySelector(".grids");
  grids.innerHTML = "";
  for (let k = 0; k <= 10; k += 2) {
    for (const [x1, y1, x2, y2] of [[sx(k / 10), sy(0), sx(k / 10), sy(1)], [sx(0), sy(k / 10), sx(1), sy(k / 10)]]) {
      const line = document.createElementNS(SVGNS, "line");
      Object.entries({ x1, y1, x2, y2, class: "grid" }).forEach(([a, v]) => line.setAttribute(a, v));
      grids.appendChild(line);
    }
    const tick = document.createElementNS(SVGNS, "text");
    tick.setAttribute("x", sx(k / 10)); tick.setAttribute("y", sy(0) + 20); tick.setAttribute("text-anchor", "middle");
    tick.textContent = (k / 10).toFixed(1);
    grids.appendChild(tick);
    const tickY = document.createElementNS(SVGNS, "text");
    tickY.setAttribute("x", sx(0) - 8); tickY.setAttribute("y", sy(k / 10) + 5); tickY.setAttribute("text-anchor", "end");
    tickY.textContent = (k / 10).toFixed(1);
    grids.appendChild(tickY);
  }
  const points = data.fpr.map((f, i) => [sx(f), sy(data.tpr[i])]);
  root.querySelector(".curve").setAttribute("d", "M" + points.map((p) => p[0].toFixed(2) + " " + p[1].toFixed(2)).join(" L"));
  root.querySelector(".auc").textContent = "AUC " + data.auc.toFixed(3);
  // Youden's point: none while a poll is open (data.youden null), so that nothing gives the answer away.
  const yi = data.youden, youden = root.querySelector(".youden"), youdenLabel = root.querySelector(".youden-label");
  const hasYouden = yi !== null && yi !== undefined && points[yi] !== undefined;
  for (const el of [youden, youdenLabel]) el.style.display = hasYouden ? "" : "none";
  if (hasYouden) {
    youden.setAttribute("cx", points[yi][0]); youden.setAttribute("cy", points[yi][1]);
    youdenLabel.setAttribute("x", points[yi][0] + 14); youdenLabel.setAttribute("y", points[yi][1] + 22);
    youdenLabel.textContent = "Youden's J";
  }
  // Revealed presets (a closed poll's rule-out point): a labelled diamond each.
  const marks = root.querySelector(".marks");
  marks.innerHTML = "";
  for (const [f, t, label] of data.marks || []) {
    const x = sx(f), y = sy(t), mark = document.createElementNS(SVGNS, "path");
    mark.setAttribute("d", `M${x} ${y - 9} L${x + 9} ${y} L${x} ${y + 9} L${x - 9} ${y} Z`);
    mark.setAttribute("class", "mark");
    const text = document.createElementNS(SVGNS, "text");
    text.setAttribute("x", x + 14); text.setAttribute("y", y - 12);
    text.setAttribute("class", "mark-label");
    text.textContent = label;
    marks.append(mark, text);
  }

  // Costs (optional): the line of equal expected cost through the handle, and the cheapest vertex.
  const costs = data.costs || null, isocost = root.querySelector(".isocost");
  const cheapest = root.querySelector(".cheapest"), cheapestLabel = root.querySelector(".cheapest-label");
  root.querySelector(".cost-row").style.display = costs ? "" : "none";
  for (const el of [isocost, cheapest, cheapestLabel]) el.style.display = costs ? "" : "none";
  if (costs) {
    const c = points[costs.cheapest];
    cheapest.setAttribute("x", c[0] - 8); cheapest.setAttribute("y", c[1] - 8);  // a square: the shape says which mark
    cheapestLabel.setAttribute("x", c[0] + 14); cheapestLabel.setAttribute("y", c[1] - 10);
    cheapestLabel.textContent = "lowest cost";
  }
  function drawIsocost(i) {
    if (!costs) return;
    const x0 = data.fpr[i], y0 = data.tpr[i], m = costs.slope;
    let ends;
    if (m === null || !Number.isFinite(m)) ends = [[x0, 0], [x0, 1]];  // only false alarms cost: vertical
    else if (m === 0) ends = [[0, y0], [1, y0]];
    else {
      const lo = Math.max(0, x0 - y0 / m), hi = Math.min(1, x0 + (1 - y0) / m);  // where 0 <= y <= 1
      ends = [[lo, y0 + m * (lo - x0)], [hi, y0 + m * (hi - x0)]];
    }
    isocost.setAttribute("x1", sx(ends[0][0])); isocost.setAttribute("y1", sy(ends[0][1]));
    isocost.setAttribute("x2", sx(ends[1][0])); isocost.setAttribute("y2", sy(ends[1][1]));
  }
  // The class's submitted points (a poll's view): small dots, the median a larger ring drawn first (under them).
  const classPoints = root.querySelector(".class-points");
  classPoints.innerHTML = "";
  for (const [f, t, kind] of data.classPoints || []) {
    const dot = document.createElementNS(SVGNS, "circle");
    dot.setAttribute("cx", sx(f)); dot.setAttribute("cy", sy(t));
    dot.setAttribute("r", kind === "median" ? 10 : 6);
    dot.setAttribute("class", kind === "median" ? "class-median" : "class-point");
    classPoints.appendChild(dot);
  }

  const handle = root.querySelector(".handle"), grab = root.querySelector(".grab"), live = root.querySelector(".live");
  handle.classList.toggle("ring", Boolean(data.handleRing));  // a poll's view: a ring on the median, not a dot over the answers
  const field = (name) => root.querySelector(`[data-field="${name}"]`);
  const last = points.length - 1;
  // Each release is numbered, so that releasing twice at the same vertex still reaches Python; the count starts from
  // the one Python last applied (data.applied), so a remounted component goes on counting.
  if (root.dataset.seq === undefined) root.dataset.seq = String(data.applied || 0);
  // Props from a rerun that began before this browser's latest move (three quick key presses within one rerun) still
  // carry an older threshold: keep showing the latest local move until Python has applied it, instead of jumping back
  // a vertex (and leaving the handle off the threshold box once the last rerun's props match the old ones).
  root.dataset.applied = String(data.applied);
  const stale = data.applied !== undefined && Number(root.dataset.seq) > data.applied && root.dataset.local !== undefined;
  const start = stale ? Number(root.dataset.local) : data.threshold;
  let current = vertexIndex(data, start);
  const send = (i) => {
    const seq = Number(root.dataset.seq || 0) + 1;
    root.dataset.seq = String(seq);
    root.dataset.local = String(data.thr[i]);
    setStateValue("threshold", [data.thr[i], seq]);
  };
  const thresholdText = (i, threshold) => (i === 0 ? "above every score" : threshold.toFixed(data.decimals));
  const whole = (value) => (Number.isFinite(value) ? Math.round(100 * value) + " %" : "n/a");
  // The thresholds fall along the curve: vertex `last` has the lowest, vertex `first` (1) the highest score. Vertex 0
  // (no one referred) has the highest score as its threshold too (lib.metrics.roc), so Python puts it back on vertex
  // 1: the keys stop at 1.
  const first = Math.min(1, last);
  svg.setAttribute("aria-valuemin", data.thr[last].toFixed(data.decimals));
  svg.setAttribute("aria-valuemax", data.thr[first].toFixed(data.decimals));

  function show(i, threshold) {
    current = i;
    handle.setAttribute("cx", points[i][0]);
    handle.setAttribute("cy", points[i][1]);
    grab.setAttribute("cx", points[i][0]);
    grab.setAttribute("cy", points[i][1]);
    const f = figuresAt(data, i);
    field("threshold").textContent = thresholdText(i, threshold);
    for (const key of ["sensitivity", "specificity", "ppv", "npv", "ppv_prev", "npv_prev"]) field(key).textContent = pct(f[key]);
    for (const key of ["tp", "fp", "fn", "tn"]) field(key).textContent = String(f[key]);
    field("prevalence").textContent = pct(data.prevalence);
    if (costs) {
      field("cost").textContent = perThousand(costAt(data, i));
      field("cost_min").textContent = perThousand(costAt(data, costs.cheapest));
      drawIsocost(i);
    }
    // vertex 0 lies above every score: announced as such, its value the top of the range
    svg.setAttribute("aria-valuenow", (i === 0 ? data.thr[first] : threshold).toFixed(data.decimals));
    svg.setAttribute("aria-valuetext",
      `threshold ${thresholdText(i, threshold)}: sensitivity ${whole(f.sensitivity)}, specificity ${whole(f.specificity)}`);
  }

  // After a move by the user (never on a rerun's redraw): the panel's figures, read out once the keys rest.
  function announce(i) {
    const f = figuresAt(data, i);
    clearTimeout(root._announce);
    root._announce = setTimeout(() => {
      live.textContent = `Threshold ${thresholdText(i, data.thr[i])}. Sensitivity ${pct(f.sensitivity)}, specificity ` +
        `${pct(f.specificity)}. Referred: ${f.tp} true positives, ${f.fp} false positives. Not referred: ${f.fn} ` +
        `false negatives, ${f.tn} true negatives.`;
    }, 250);
  }

  function nearest(event) {
    const pt = svg.createSVGPoint();
    pt.x = event.clientX; pt.y = event.clientY;
    const local = pt.matrixTransform(svg.getScreenCTM().inverse());
    let best = 0, bestD = Infinity;
    for (let i = 0; i < points.length; i++) {
      const dx = points[i][0] - local.x, dy = points[i][1] - local.y, dist = dx * dx + dy * dy;
      if (dist < bestD) { bestD = dist; best = i; }
    }
    return best;
  }

  let dragging = false;
  svg.onpointerdown = (event) => {
    // A finger moves the point only from the handle: elsewhere a touch scrolls the page (touch-action) and a tap
    // moves nothing. A mouse or a pen may grab the curve anywhere.
    if (event.pointerType === "touch" && !event.target.closest(".grab, .handle")) return;
    dragging = true;
    handle.classList.add("dragging");
    svg.setPointerCapture(event.pointerId);
    const i = event.target.closest(".grab, .handle") && event.pointerType === "touch" ? current : nearest(event);
    show(i, data.thr[i]);
  };
  svg.onpointermove = (event) => {
    if (!dragging) return;
    const i = nearest(event);
    if (i !== current) show(i, data.thr[i]);
  };
  const release = (event) => {
    if (!dragging) return;
    dragging = false;
    handle.classList.remove("dragging");
    if (svg.hasPointerCapture(event.pointerId)) svg.releasePointerCapture(event.pointerId);
    send(current);
    announce(current);
  };
  svg.onpointerup = release;
  svg.onpointercancel = release;
  svg.onkeydown = (event) => {
    const tenth = Math.max(1, Math.round(points.length / 10));
    // +1 raises the threshold: towards vertex 0 (the thresholds fall along the curve)
    const moves = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: tenth, PageDown: -tenth };
    let i;
    if (event.key === "Home") i = last;
    else if (event.key === "End") i = first;
    else if (moves[event.key]) i = Math.min(last, Math.max(first, current - moves[event.key]));
    else return;
    event.preventDefault();
    if (i === current) return;
    show(i, data.thr[i]);
    send(i);
    announce(i);
  };
  show(current, stale ? data.thr[current] : data.threshold);
}
