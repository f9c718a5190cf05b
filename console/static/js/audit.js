// Auditors (Art. 9, 14): the access register with filters, its hash-chain
// verification, discount inspections and their findings.
import { html, useState, useLoad, Loaded, Field, useForm, Problem, Table, usePaged, Paged, fmtTime, badge } from './ui.js';
import { get, post, qs } from './api.js';
import { t, te } from './i18n.js';
import { may } from './roles.js';

export function Audit({ me, path }) {
  if (path[0] === 'inspections' && path[1]) return html`<${Inspection} key=${path[1]} id=${path[1]} />`;
  // The register's page of 50 rows loads last and goes last: above the
  // buttons, its arrival moved them under the pointer.
  const register = may(me.role, 'register');
  return html`<h1>${t('audit.title')}</h1>
    ${register ? html`<${Verify} />` : ''}
    <${Inspections} me=${me} />
    ${register ? html`<${Register} />` : ''}`;
}

function Register() {
  const [f, setF] = useState({ customer_id: '', staff_id: '', action: '', from: '', to: '' });
  const [query, setQuery] = useState(f);
  const paged = usePaged('/v1/access-log' + qs({ ...dayRange(query), limit: 50 }));
  const set = (k, v) => setF((o) => ({ ...o, [k]: v }));
  const actions = ['view', 'list', 'export', 'update', 'denied'];
  return html`<section class="card" aria-labelledby="reg-h"><h2 id="reg-h">${t('audit.register')}</h2>
    <form class="filters" onSubmit=${(e) => { e.preventDefault(); setQuery(f); }}>
      <${Field} name="customer_id" label=${t('audit.customer')} value=${f.customer_id} onInput=${set} />
      <${Field} name="staff_id" label=${t('audit.staff')} value=${f.staff_id} onInput=${set} />
      <${Field} name="action" label=${t('audit.action')} value=${f.action} onInput=${set} options=${[['', t('common.any')], ...actions.map((a) => [a, te('action', a)])]} />
      <${Field} name="from" type="date" label=${t('reports.from')} value=${f.from} onInput=${set} />
      <${Field} name="to" type="date" label=${t('reports.to')} value=${f.to} onInput=${set} />
      <button type="submit">${t('common.search')}</button>
    </form>
    <${Paged} paged=${paged}>${(items) => html`<${Table} rows=${items} cols=${[
      ['#', (e) => e.seq], [t('common.when'), (e) => fmtTime(e.at)], [t('audit.action'), (e) => badge('action', e.action)],
      [t('audit.role'), (e) => te('role', e.staff_role)], [t('audit.route'), (e) => html`<code>${e.route}</code>`],
      [t('audit.sections'), (e) => (e.sections || []).map((s) => te('section', s)).join(', ') || '—'],
      [t('audit.purpose'), (e) => e.purpose || '—'],
      [t('audit.customer'), (e) => (e.customer_id ? html`<a href=${'#/accounts/' + e.customer_id}>${e.customer_id.slice(0, 8)}</a>` : '—')],
    ]} />`}<//></section>`;
}

// The register's range is of instants (RFC 3339); a day picked here runs
// from its first to its last moment in this browser's time zone.
function dayRange(q) {
  const at = (day, time) => (day ? new Date(`${day}T${time}`).toISOString() : '');
  return { ...q, from: at(q.from, '00:00:00'), to: at(q.to, '23:59:59.999') };
}

function Verify() {
  const [result, setResult] = useState(null);
  const f = useForm({});
  return html`<section class="card" aria-labelledby="verify-h"><h2 id="verify-h">${t('audit.verify')}</h2>
    <button type="button" id="verify" disabled=${f.busy} onClick=${() => f.submit(null, async () => setResult(await get('/v1/access-log/verify')))}>${t('audit.verifyRun')}</button>
    <${Problem} error=${f.error} />
    ${result ? html`<p id="verify-result" role="status">${result.ok ? badge('verify', 'ok') : badge('verify', 'broken')}
      ${t('audit.checked', { n: result.checked })} ${result.ok ? '' : html`· ${result.broken_seq != null ? t('audit.brokenAt', { seq: result.broken_seq }) : ''} ${result.reason || ''}`}</p>` : ''}
  </section>`;
}

function Inspections({ me }) {
  const paged = usePaged('/v1/inspections');
  const f = useForm({ sample_size: '20' });
  async function run(v) {
    const ins = await post('/v1/inspections', { sample_size: parseInt(v.sample_size, 10) });
    location.hash = '#/audit/inspections/' + ins.id;
  }
  return html`<section class="card" aria-labelledby="ins-h"><h2 id="ins-h">${t('audit.inspections')}</h2>
    ${may(me.role, 'runInspection') ? html`<form class="filters" id="inspection-form" onSubmit=${(e) => f.submit(e, run)}>
      <${Field} name="sample_size" type="number" label=${t('audit.sampleSize')} value=${f.values.sample_size} onInput=${f.set} error=${f.fields} />
      <button type="submit" disabled=${f.busy}>${t('audit.run')}</button><${Problem} error=${f.error} /></form>` : ''}
    <${Paged} paged=${paged}>${(items) => html`<${Table} rows=${items} cols=${[
      [t('common.when'), (x) => html`<a href=${'#/audit/inspections/' + x.id}>${fmtTime(x.created_at)}</a>`],
      [t('field.status'), (x) => badge('inspection', x.status)], [t('audit.trigger'), (x) => te('trigger', x.trigger)],
      [t('audit.sampleSize'), (x) => x.sample_size], [t('audit.salesChecked'), (x) => x.sales_checked],
    ]} />`}<//></section>`;
}

function Inspection({ id }) {
  const load = useLoad(() => get(`/v1/inspections/${id}`), [id]);
  return html`<h1>${t('audit.inspection')}</h1><${Loaded} load=${load}>${(x) => html`<section class="card">
    <p>${badge('inspection', x.status)} ${te('trigger', x.trigger)} · ${t('audit.sampleSize')} ${x.sample_size} · ${t('audit.salesChecked')} ${x.sales_checked}</p>
    ${x.status === 'running' ? html`<button type="button" class="secondary" onClick=${load.reload}>${t('common.refresh')}</button>` : ''}
    <h2>${t('audit.findings')}</h2>
    <${Findings} key=${x.status + ':' + (x.findings || []).length} id=${id} first=${x} />
  </section>`}<//>`;
}

// Findings come 50 to a page; the rest follow findings_next_cursor.
function Findings({ id, first }) {
  const [st, set] = useState({ items: first.findings || [], next: first.findings_next_cursor || '', error: null });
  async function more() {
    try {
      const page = await get(`/v1/inspections/${id}` + qs({ cursor: st.next }));
      set((o) => ({ items: [...o.items, ...(page.findings || [])], next: page.findings_next_cursor || '', error: null }));
    } catch (error) {
      set((o) => ({ ...o, error }));
    }
  }
  return html`<${Table} rows=${st.items} empty=${t('audit.noFindings')} cols=${[
      [t('audit.finding'), (f) => te('finding', f.kind)], [t('audit.customer'), (f) => html`<a href=${'#/accounts/' + f.customer_id}>${t('work.openAccount')}</a>`],
      [t('sale.rate'), (f) => f.applied_rate], [t('discounts.granted'), (f) => f.granted_rate ?? '—'],
    ]} />
    <${Problem} error=${st.error} />
    ${st.next ? html`<button type="button" class="secondary" id="more-findings" onClick=${more}>${t('common.more')}</button>` : ''}`;
}
