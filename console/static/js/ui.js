// Small building blocks shared by the screens.
import { html, useState, useEffect, useCallback } from '../vendor/htm-3.1.1/preact-standalone.module.js';
import { t, te, lang } from './i18n.js';
import { get } from './api.js';

export { html, useState, useEffect, useCallback };

// useLoad runs an API read and re-runs it when deps change.
export function useLoad(fn, deps) {
  const [state, set] = useState({ loading: true, data: null, error: null });
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    set((s) => ({ ...s, loading: true }));
    fn().then(
      (data) => live && set({ loading: false, data, error: null }),
      (error) => live && set({ loading: false, data: null, error }),
    );
    return () => { live = false; };
  }, [...deps, n]);
  return { ...state, reload: () => setN((x) => x + 1) };
}

// Loaded shows a read: nothing at all when the API refuses it (403/404:
// the console never shows a section the API refuses), the problem otherwise.
export function Loaded({ load, children, quiet }) {
  if (load.error) return load.error.refused ? null : html`<${Problem} error=${load.error} />`;
  if (load.loading && !load.data) return quiet ? null : html`<p class="muted" aria-busy="true">${t('common.loading')}</p>`;
  return children(load.data);
}

export function Problem({ error }) {
  if (!error) return null;
  return html`<div class="problem" role="alert"><strong>${t('common.problem')}</strong> ${error.message}
    ${error.code ? html` <code>${error.code}</code>` : ''}</div>`;
}

let seq = 0;
// Field is a labelled input with its error next to it (aria-describedby).
export function Field({ name, label, value, onInput, error, type = 'text', options, required, hint, ...rest }) {
  const [id] = useState(() => `f${++seq}-${name}`);
  const err = error && error[name];
  const described = err ? `${id}-err` : hint ? `${id}-hint` : undefined;
  const common = { id, name, required, 'aria-invalid': err ? 'true' : undefined, 'aria-describedby': described, ...rest };
  const change = (e) => onInput && onInput(name, e.target.value);
  let input;
  if (options) {
    input = html`<select ...${common} value=${value ?? ''} onChange=${change}>
      ${options.map(([v, l]) => html`<option value=${v}>${l}</option>`)}</select>`;
  } else if (type === 'textarea') {
    input = html`<textarea ...${common} value=${value ?? ''} onInput=${change} />`;
  } else {
    input = html`<input ...${common} type=${type} value=${value ?? ''} onInput=${change} />`;
  }
  return html`<div class=${'field' + (err ? ' invalid' : '')}>
    <label for=${id}>${label}${required ? html`<span aria-hidden="true"> *</span>` : ''}</label>
    ${input}
    ${hint && !err ? html`<small id=${`${id}-hint`} class="hint">${hint}</small>` : ''}
    ${err ? html`<small id=${`${id}-err`} class="field-error" role="alert">${err}</small>` : ''}
  </div>`;
}

// useForm keeps a form's values, its problem and its field errors.
export function useForm(initial) {
  const [values, setValues] = useState(initial);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (k, v) => setValues((o) => ({ ...o, [k]: v }));
  async function submit(e, fn) {
    if (e) e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      return await fn(values);
    } catch (err) {
      setError(err);
      return undefined;
    } finally {
      setBusy(false);
    }
  }
  return { values, setValues, set, error, setError, fields: (error && error.fields) || {}, busy, submit };
}

// Table renders rows; cols are [label, row => cell].
export function Table({ cols, rows, empty, caption }) {
  if (!rows || rows.length === 0) return html`<p class="muted">${empty || t('common.none')}</p>`;
  return html`<div class="table-wrap"><table>
    ${caption ? html`<caption>${caption}</caption>` : ''}
    <thead><tr>${cols.map(([l]) => html`<th scope="col">${l}</th>`)}</tr></thead>
    <tbody>${rows.map((r) => html`<tr>${cols.map(([l, f]) => html`<td data-label=${l}>${f(r)}</td>`)}</tr>`)}</tbody>
  </table></div>`;
}

// usePaged lists a /v1 list; more() follows next_cursor.
export function usePaged(path) {
  const [st, set] = useState({ items: [], next: '', error: null, loading: true });
  const [n, setN] = useState(0);
  async function fetchPage(cursor, append) {
    set((o) => ({ ...o, loading: true }));
    try {
      const sep = path.includes('?') ? '&' : '?';
      const page = await get(path + (cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ''));
      set((o) => ({ items: append ? [...o.items, ...(page.items || [])] : page.items || [], next: page.next_cursor || '', error: null, loading: false }));
    } catch (error) {
      set((o) => ({ ...o, error, loading: false }));
    }
  }
  useEffect(() => { if (path) fetchPage('', false); }, [path, n]);
  return { ...st, more: () => fetchPage(st.next, true), reload: () => setN((x) => x + 1) };
}

// Paged shows a paged list, or nothing when the API refuses it.
export function Paged({ paged, children }) {
  if (paged.error) return paged.error.refused ? null : html`<${Problem} error=${paged.error} />`;
  if (paged.loading && paged.items.length === 0) return html`<p class="muted" aria-busy="true">${t('common.loading')}</p>`;
  return html`${children(paged.items)}
    ${paged.next ? html`<button type="button" class="secondary" onClick=${paged.more}>${t('common.more')}</button>` : ''}`;
}

export const fmtDate = (s) => (s ? new Date(s.length === 10 ? s + 'T00:00:00' : s).toLocaleDateString(lang()) : '—');
export const fmtTime = (s) => (s ? new Date(s).toLocaleString(lang()) : '—');
export const fmtMoney = (s) => (s === null || s === undefined || s === '' ? '—' : s);
export const today = () => new Date().toISOString().slice(0, 10);

// Countdown says how long until (or since) an instant: SLA timers.
export function Countdown({ to }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 30000);
    return () => clearInterval(id);
  }, []);
  if (!to) return '—';
  const ms = new Date(to).getTime() - now;
  const abs = Math.abs(ms);
  const h = Math.floor(abs / 3600000);
  const m = Math.floor((abs % 3600000) / 60000);
  const span = h >= 48 ? t('time.days', { n: Math.floor(h / 24) }) : t('time.hm', { h, m });
  return ms >= 0
    ? html`<span class=${'countdown' + (ms < 3600000 ? ' soon' : '')}>${t('time.in', { span })}</span>`
    : html`<span class="countdown late">${t('time.ago', { span })}</span>`;
}

export const badge = (group, v, extra) => html`<span class=${`badge ${group}-${v} ${extra || ''}`}>${te(group, v)}</span>`;

export function Tabs({ tabs, current, base }) {
  return html`<nav class="tabs" aria-label=${t('common.sections')}>
    ${tabs.map(([k, l]) => html`<a href=${`${base}/${k}`} aria-current=${k === current ? 'page' : undefined}>${l}</a>`)}
  </nav>`;
}
