// The flame graph's inline ECMAScript: hover details, zoom, search (also from ?z=NAME, ?s=REGEX).
// Frames are <g class="f KIND"> holding <title>, <rect> and <text>; data-v is the value.
#pragma once

namespace kiln::analyzer {

inline constexpr const char* kFlameSvgScript = R"JS(
"use strict";
var svg, details, searchbtn, unzoombtn, matchedtxt, frames, total, unit, fontw = 0.59, fontsize = 12;
var currentSearch = null;
function init(evt) {
  svg = document.documentElement;
  details = document.getElementById("details").firstChild;
  searchbtn = document.getElementById("search");
  unzoombtn = document.getElementById("unzoom");
  matchedtxt = document.getElementById("matched");
  frames = document.getElementById("frames");
  total = parseFloat(svg.getAttribute("data-total"));
  unit = svg.getAttribute("data-unit");
  // ?z=NAME zooms to the first frame of that name, ?s=REGEX searches: links can share a view.
  var params = new URLSearchParams(document.location.search);
  if (params.get("z")) {
    var all = frames.children;
    for (var i = 0; i < all.length; i++) if (nameOf(all[i]) === params.get("z")) { zoom(all[i]); break; }
  }
  if (params.get("s")) search(params.get("s"));
  svg.setAttribute("data-kiln-ready", "1");
}
function fmt(v) {
  if (unit === "nanoseconds") {
    if (v >= 1e9) return (v / 1e9).toFixed(2) + " s";
    if (v >= 1e6) return (v / 1e6).toFixed(2) + " ms";
    if (v >= 1e3) return (v / 1e3).toFixed(2) + " us";
    return v + " ns";
  }
  if (unit === "bytes") {
    if (v >= 1073741824) return (v / 1073741824).toFixed(2) + " GiB";
    if (v >= 1048576) return (v / 1048576).toFixed(2) + " MiB";
    if (v >= 1024) return (v / 1024).toFixed(2) + " KiB";
    return v + " B";
  }
  return v.toLocaleString("en-US") + " " + unit;
}
function frameOf(e) {
  var t = e.target;
  while (t && t.parentNode !== frames) t = t.parentNode;
  return t;
}
function nameOf(g) { return g.getAttribute("data-n"); }
function describe(g) {
  var v = parseFloat(g.getAttribute("data-v"));
  return nameOf(g) + " (" + fmt(v) + ", " + (100 * v / total).toFixed(2) + "%)";
}
window.addEventListener("mouseover", function (e) {
  var g = frameOf(e);
  if (g) details.nodeValue = describe(g);
});
window.addEventListener("mouseout", function (e) {
  if (frameOf(e)) details.nodeValue = " ";
});
window.addEventListener("click", function (e) {
  var g = frameOf(e);
  if (g) { zoom(g); return; }
  if (e.target.id === "unzoom" || (e.target.parentNode && e.target.parentNode.id === "unzoom")) unzoom();
  if (e.target.id === "search" || (e.target.parentNode && e.target.parentNode.id === "search")) searchPrompt();
});
window.addEventListener("keydown", function (e) {
  if (e.keyCode === 114 || ((e.ctrlKey || e.metaKey) && e.keyCode === 70)) { e.preventDefault(); searchPrompt(); }
});
function rectOf(g) { return g.getElementsByTagName("rect")[0]; }
function textOf(g) { return g.getElementsByTagName("text")[0]; }
function attr(el, name) { return parseFloat(el.getAttribute(name)); }
function fitText(g) {
  var r = rectOf(g), t = textOf(g), w = attr(r, "width") - 6, name = nameOf(g);
  t.setAttribute("x", attr(r, "x") + 3);
  var chars = Math.floor(w / (fontsize * fontw));
  if (chars < 3) { t.textContent = ""; return; }
  t.textContent = name.length <= chars ? name : name.substring(0, chars - 2) + "..";
}
function saveOrig(el, name) {
  if (!el.hasAttribute("data-o" + name)) el.setAttribute("data-o" + name, el.getAttribute(name));
}
function restore(el, name) {
  if (el.hasAttribute("data-o" + name)) el.setAttribute(name, el.getAttribute("data-o" + name));
}
function zoom(node) {
  var nr = rectOf(node), nx = attr(nr, "x"), nw = attr(nr, "width"), ny = attr(nr, "y");
  var inverted = svg.getAttribute("data-inverted") === "1";
  var left = attr(svg, "data-left"), width = attr(svg, "data-width");
  var scale = width / nw;
  unzoombtn.classList.remove("hide");
  var all = frames.children;
  for (var i = 0; i < all.length; i++) {
    var g = all[i], r = rectOf(g);
    saveOrig(r, "x"); saveOrig(r, "width");
    var x = attr(r, "data-ox"), w = attr(r, "data-owidth"), y = attr(r, "y");
    var above = inverted ? y > ny : y < ny;
    g.classList.remove("hide"); g.classList.remove("parent");
    if (!above && y !== ny) {
      // Ancestors: keep them, full width, dimmed.
      if (x <= nx + 1e-6 && x + w >= nx + nw - 1e-6) {
        g.classList.add("parent");
        r.setAttribute("x", left); r.setAttribute("width", width);
      } else g.classList.add("hide");
    } else if (x >= nx - 1e-6 && x + w <= nx + nw + 1e-6) {
      r.setAttribute("x", left + (x - nx) * scale);
      r.setAttribute("width", w * scale);
    } else g.classList.add("hide");
    fitText(g);
  }
  if (currentSearch) search(currentSearch);
}
function unzoom() {
  unzoombtn.classList.add("hide");
  var all = frames.children;
  for (var i = 0; i < all.length; i++) {
    var g = all[i], r = rectOf(g);
    g.classList.remove("hide"); g.classList.remove("parent");
    restore(r, "x"); restore(r, "width");
    fitText(g);
  }
  if (currentSearch) search(currentSearch);
}
function searchPrompt() {
  if (currentSearch) { resetSearch(); return; }
  var term = prompt("Search for (regular expression):", "");
  if (term) search(term);
}
function resetSearch() {
  currentSearch = null;
  var all = frames.children;
  for (var i = 0; i < all.length; i++) all[i].classList.remove("match");
  matchedtxt.classList.add("hide");
  searchbtn.firstChild.nodeValue = "Search";
}
function search(term) {
  var re;
  try { re = new RegExp(term); } catch (err) { return; }
  currentSearch = term;
  var all = frames.children, spans = [];
  for (var i = 0; i < all.length; i++) {
    var g = all[i];
    g.classList.remove("match");
    if (g.classList.contains("hide") || !re.test(nameOf(g))) continue;
    g.classList.add("match");
    var r = rectOf(g);
    spans.push([attr(r, "x"), attr(r, "x") + attr(r, "width")]);
  }
  // A match nested in another match counts once: merge the x ranges.
  spans.sort(function (a, b) { return a[0] - b[0]; });
  var covered = 0, end = -Infinity;
  for (var j = 0; j < spans.length; j++) {
    var s = Math.max(spans[j][0], end);
    if (spans[j][1] > s) covered += spans[j][1] - s;
    end = Math.max(end, spans[j][1]);
  }
  var pct = 100 * covered / attr(svg, "data-width");
  searchbtn.firstChild.nodeValue = "Reset Search";
  matchedtxt.classList.remove("hide");
  matchedtxt.firstChild.nodeValue = "Matched: " + pct.toFixed(1) + "%";
  matchedtxt.setAttribute("data-pct", pct.toFixed(1));
}
)JS";

}  // namespace kiln::analyzer
