// The flame graph's inline ECMAScript: hover details, zoom, search (also from ?z=NAME, ?s=REGEX).
//
// Contract with flame_svg.cpp: frames are the <g> children of #frames, depth first in tree
// order, each holding <title>NAME (VALUE, PCT%)</title>, a <rect> and, if wide enough, a
// <text>. data-v is the frame's value; data-g (when present) the value of elided siblings
// just before it. The root <svg> carries data-total, data-left and data-width (the frame
// area), data-y0 (y of the root frame) and data-dy (y step per level). From these the
// script rebuilds each frame's depth, exact offset and subtree, so zoom and search work in
// value units, never on rounded pixel positions.
#pragma once

namespace kiln::analyzer {

inline constexpr const char* kFlameSvgScript = R"JS(
"use strict";
var svgns = "http://www.w3.org/2000/svg", fontw = 0.59, fontsize = 12;
var svg, frames, details, searchbtn, unzoombtn, matchedtxt;
var total, left, width, y0, dy;
// Per frame, in document order: element, depth, offset and value (value units), index
// one past its subtree, name.
var G = [], lvl = [], st = [], val = [], end = [], nm = [];
var currentSearch = null;
function num(el, name) { return parseFloat(el.getAttribute(name)); }
function rectOf(g) { return g.getElementsByTagName("rect")[0]; }
function titleOf(g) { return g.getElementsByTagName("title")[0].textContent; }
function init(evt) {
  svg = document.documentElement;
  frames = document.getElementById("frames");
  details = document.getElementById("details").firstChild;
  searchbtn = document.getElementById("search");
  unzoombtn = document.getElementById("unzoom");
  matchedtxt = document.getElementById("matched");
  total = num(svg, "data-total"); left = num(svg, "data-left"); width = num(svg, "data-width");
  y0 = num(svg, "data-y0"); dy = num(svg, "data-dy");
  G = Array.prototype.slice.call(frames.children);
  var next = [], open = [];  // next[L]: offset of the next frame at depth L
  for (var i = 0; i < G.length; i++) {
    var g = G[i], L = Math.round((num(rectOf(g), "y") - y0) / dy), v = num(g, "data-v");
    var s = L === 0 ? 0 : next[L] + (g.hasAttribute("data-g") ? num(g, "data-g") : 0);
    next[L] = s + v; next[L + 1] = s;
    while (open.length && lvl[open[open.length - 1]] >= L) end[open.pop()] = i;
    open.push(i);
    lvl.push(L); st.push(s); val.push(v); end.push(G.length);
    var t = titleOf(g), cut = t.lastIndexOf(" (");
    nm.push(cut >= 0 ? t.substring(0, cut) : t);
    g.kilnIndex = i;
  }
  while (open.length) end[open.pop()] = G.length;
  // ?z=NAME zooms to the first frame of that name, ?s=REGEX searches: links can share a view.
  var params = new URLSearchParams(document.location.search), z = params.get("z"), q = params.get("s");
  if (z) for (var j = 0; j < G.length; j++) if (nm[j] === z) { zoom(j); break; }
  if (q) search(q);
  svg.setAttribute("data-kiln-ready", "1");
}
function frameOf(e) {
  var t = e.target;
  while (t && t.parentNode !== frames) t = t.parentNode;
  return t;
}
function within(e, id) {
  for (var t = e.target; t; t = t.parentNode) if (t.id === id) return true;
  return false;
}
window.addEventListener("mouseover", function (e) {
  var g = frameOf(e);
  if (g) details.nodeValue = titleOf(g);
});
window.addEventListener("mouseout", function (e) {
  if (frameOf(e)) details.nodeValue = " ";
});
window.addEventListener("click", function (e) {
  var g = frameOf(e);
  if (g) zoom(g.kilnIndex);
  else if (within(e, "unzoom")) zoom(0);
  else if (within(e, "search")) searchPrompt();
});
window.addEventListener("keydown", function (e) {
  if (e.key === "F3" || ((e.ctrlKey || e.metaKey) && (e.key === "f" || e.key === "F"))) {
    e.preventDefault();
    searchPrompt();
  } else if (e.key === "Escape") {
    resetSearch();
    if (G.length) zoom(0);
  }
});
// The label for a frame w pixels wide; the same rule as fit() in flame_svg.cpp.
function fit(name, w) {
  var chars = Math.floor((w - 6) / (fontsize * fontw));
  if (chars < 3) return "";
  if (name.length <= chars) return name;
  var cps = Array.from(name);
  return cps.length <= chars ? name : cps.slice(0, chars - 2).join("") + "..";
}
function place(j, x, w) {
  var g = G[j], r = rectOf(g), t = g.getElementsByTagName("text")[0], label = fit(nm[j], w);
  r.setAttribute("x", x.toFixed(2));
  r.setAttribute("width", w.toFixed(2));
  if (!t) {
    if (!label) return;
    t = document.createElementNS(svgns, "text");
    t.setAttribute("y", num(r, "y") + 11.5);
    g.appendChild(t);
  }
  t.setAttribute("x", (x + 3).toFixed(2));
  t.textContent = label;
}
// Zoom to frame i: it fills the width, its subtree widens with it, its ancestors stay
// (full width, dimmed) and everything else hides. zoom(0) is the unzoomed graph.
function zoom(i) {
  var scale = width / val[i], anc = {}, need = lvl[i] - 1;
  for (var j = i - 1; j >= 0 && need >= 0; j--) if (lvl[j] === need) { anc[j] = true; need--; }
  for (j = 0; j < G.length; j++) {
    var cl = G[j].classList;
    if (j >= i && j < end[i]) {
      cl.remove("hide"); cl.remove("parent");
      place(j, left + (st[j] - st[i]) * scale, val[j] * scale);
    } else if (anc[j]) {
      cl.remove("hide"); cl.add("parent");
      place(j, left, width);
    } else {
      cl.add("hide");
    }
  }
  if (i === 0) unzoombtn.classList.add("hide"); else unzoombtn.classList.remove("hide");
}
function searchPrompt() {
  if (currentSearch !== null) { resetSearch(); return; }
  var term = prompt("Search for (regular expression):", "");
  if (term) search(term);
}
function resetSearch() {
  currentSearch = null;
  for (var j = 0; j < G.length; j++) G[j].classList.remove("match");
  matchedtxt.classList.add("hide");
  searchbtn.firstChild.nodeValue = "Search";
}
// Highlights the frames whose name matches; "Matched" is their share of the total, a
// match inside another match counted once.
function search(term) {
  var re;
  try { re = new RegExp(term); } catch (err) {
    matchedtxt.classList.remove("hide");
    matchedtxt.firstChild.nodeValue = "Invalid regular expression";
    return;
  }
  currentSearch = term;
  var covered = 0, skip = 0;
  for (var j = 0; j < G.length; j++) {
    var m = re.test(nm[j]);
    G[j].classList.toggle("match", m);
    if (m && j >= skip) { covered += val[j]; skip = end[j]; }
  }
  var pct = (total > 0 ? 100 * covered / total : 0).toFixed(1);
  searchbtn.firstChild.nodeValue = "Reset Search";
  matchedtxt.classList.remove("hide");
  matchedtxt.firstChild.nodeValue = "Matched: " + pct + "%";
  matchedtxt.setAttribute("data-pct", pct);
}
)JS";

}  // namespace kiln::analyzer
