// Charts drawn by uPlot (vendored). Each chart has a caption and sits next
// to a table of the same figures, for screen readers and for copying.
import uPlot from '../vendor/uplot-1.6.32/uPlot.esm.js';
import { html, useEffect } from './ui.js';
import { useRef } from '../vendor/htm-3.1.1/preact-standalone.module.js';

const palette = ['#1f5fa8', '#c2410c', '#15803d', '#7e22ce', '#b45309', '#0e7490', '#be123c', '#4d7c0f', '#6b7280'];

// fromZero: amounts are read against zero, never against an auto minimum.
const fromZero = (u, min, max) => [0, max > 0 ? max * 1.1 : 1];

function width(el) {
  return Math.max(280, Math.min(1200, el.clientWidth || 600));
}

// Bars draws one bar per label: values[i] against labels[i].
export function Bars({ labels, series, title, id }) {
  const xs = labels.map((_, i) => i);
  const data = [xs, ...series.map((s) => s.values.map((v) => (v === null ? null : Number(v))))];
  const opts = (w) => ({
    width: w, height: 240, title,
    legend: { show: series.length > 1, live: false },
    scales: { x: { time: false, range: [-0.6, labels.length - 0.4] }, y: { range: fromZero } },
    axes: [{ values: (u, vals) => vals.map((v) => (Number.isInteger(v) ? labels[v] ?? '' : '')), gap: 4, size: 40 }, { size: 70 }],
    series: [{ label: title }, ...series.map((s, i) => ({
      label: s.label, stroke: palette[i], fill: palette[i] + 'cc', width: 1,
      // two series stand side by side: one bar ends at the tick, the other starts there
      paths: uPlot.paths.bars({ size: [0.7 / series.length, 60], align: series.length === 1 ? 0 : i === 0 ? -1 : 1 }),
      points: { show: false },
    }))],
  });
  return html`<${Plot} id=${id} opts=${opts} data=${data} />`;
}

// Lines draws a series per label over months.
export function Lines({ months, series, title, id }) {
  const xs = months.map((_, i) => i);
  const data = [xs, ...series.map((s) => s.values.map(Number))];
  const opts = (w) => ({
    width: w, height: 260, title,
    legend: { live: false },
    scales: { x: { time: false }, y: { range: fromZero } },
    axes: [{ values: (u, vals) => vals.map((v) => (Number.isInteger(v) ? months[v] ?? '' : '')), size: 40 }, { size: 70 }],
    series: [{ label: '' }, ...series.map((s, i) => ({ label: s.label, stroke: palette[i % palette.length], width: 2 }))],
  });
  return html`<${Plot} id=${id} opts=${opts} data=${data} />`;
}

function Plot({ opts, data, id }) {
  const ref = useRef(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    const plot = new uPlot(opts(width(el)), data, el);
    const onResize = () => plot.setSize({ width: width(el), height: plot.height });
    window.addEventListener('resize', onResize);
    return () => { window.removeEventListener('resize', onResize); plot.destroy(); };
  }, [JSON.stringify(data)]);
  return html`<div class="chart" id=${id} ref=${ref} role="img" aria-label=${opts(600).title}></div>`;
}
