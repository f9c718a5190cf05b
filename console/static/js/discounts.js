// Discounts (Art. 11, 12): requests, the route a request will take (from
// the policy, shown before submitting), decisions, withdrawal, filings with
// the GM and the grants of an account.
import { html, useState, useEffect, useLoad, Loaded, Field, useForm, Problem, Table, usePaged, Paged, fmtDate, fmtTime, badge, Countdown, today } from './ui.js';
import { get, post, qs, all } from './api.js';
import { t, te } from './i18n.js';
import { may } from './roles.js';

export function Discounts({ me, path }) {
  const sub = path[0] || '';
  const tabs = [['', t('discounts.requests')]];
  if (may(me.role, 'requestDiscount')) tabs.push(['new', t('discounts.new')]);
  if (may(me.role, 'filings')) tabs.push(['filings', t('discounts.filings')]);
  let body;
  if (sub === 'new') body = html`<${NewRequest} me=${me} customer=${path[1] || ''} />`;
  else if (sub === 'filings') body = html`<${Filings} me=${me} />`;
  else if (sub) body = html`<${RequestDetail} key=${sub} id=${sub} me=${me} />`;
  else body = html`<${Requests} me=${me} />`;
  return html`<h1>${t('discounts.title')}</h1>
    <nav class="tabs" aria-label=${t('discounts.title')}>${tabs.map(([k, l]) => html`<a href=${'#/discounts' + (k ? '/' + k : '')}
      aria-current=${k === sub || (!k && !['new', 'filings'].includes(sub) && !sub) ? 'page' : undefined}>${l}</a>`)}</nav>
    ${body}`;
}

function Requests({ me }) {
  const [state, setState] = useState('');
  const paged = usePaged('/v1/discount-requests' + qs({ state, limit: 25 }));
  const states = ['pending', 'approved', 'rejected', 'withdrawn', 'expired'];
  return html`<section class="card">
    <${Field} name="state" label=${t('discounts.state')} value=${state} onInput=${(_, v) => setState(v)}
      options=${[['', t('common.any')], ...states.map((s) => [s, te('state', s)])]} />
    <${Paged} paged=${paged}>${(items) => html`<${Table} rows=${items} cols=${[
      [t('common.when'), (r) => html`<a href=${'#/discounts/' + r.id}>${fmtDate(r.created_at)}</a>`],
      [t('field.product_category'), (r) => r.product_category],
      [t('discounts.rate'), (r) => html`<a href=${'#/discounts/' + r.id} class="req-link">${r.rate}% · ${te('method', r.method)}</a>`],
      [t('discounts.route'), (r) => badge('route', r.route)],
      [t('discounts.state'), (r) => badge('state', r.state, 'req-state')],
      [t('discounts.stage'), (r) => te('stage', r.stage)],
      [t('discounts.deadline'), (r) => (r.state === 'pending' && r.deadline ? html`<${Countdown} to=${r.deadline} />` : '—')],
    ]} />`}<//>
  </section>`;
}

// routeOf is Art. 11/12's route for a rate under a policy (kam.RouteOf's
// rule, shown before submitting; the server decides it again).
export function routeOf(policy, rate) {
  const r = parseFloat(rate);
  if (!policy || !(r >= 0)) return null;
  if (r > parseFloat(policy.hard_cap_rate)) return 'over_cap';
  return r <= parseFloat(policy.max_standard_rate) ? 'standard' : 'beyond_standard';
}

function NewRequest({ me, customer }) {
  const accounts = useLoad(() => all('/v1/customers?limit=100', 3), []);
  const policies = useLoad(() => all('/v1/discount-policies?limit=100', 5), []);
  const f = useForm({ customer_id: customer, product_category: '', rate: '', method: 'percentage', valid_from: today(), valid_to: '', reason: '' });
  const [done, setDone] = useState(null);
  const acct = (accounts.data || []).find((c) => c.id === f.values.customer_id);
  useEffect(() => {
    if (acct && !f.values.product_category && acct.product_category) f.set('product_category', acct.product_category);
  }, [acct && acct.id]);
  const policy = acct && (policies.data || []).find((p) => p.tier === acct.tier && p.product_category === f.values.product_category);
  const route = routeOf(policy, f.values.rate);
  const methods = (policy && policy.methods && policy.methods.length ? policy.methods : ['percentage', 'fixed_price', 'rebate']);
  const categories = [...new Set((policies.data || []).filter((p) => !acct || p.tier === acct.tier).map((p) => p.product_category))];
  if (done) {
    return html`<section class="card" id="submitted"><h2>${t('discounts.submitted')}</h2>
      <p>${badge('route', done.route)} ${badge('state', done.state, 'req-state')}</p>
      <p><a href=${'#/discounts/' + done.id}>${t('discounts.open')}</a></p></section>`;
  }
  async function submit(v) {
    const body = Object.fromEntries(Object.entries(v).filter(([, x]) => x !== ''));
    setDone(await post('/v1/discount-requests', body));
  }
  return html`<form class="card" id="discount-form" onSubmit=${(e) => f.submit(e, submit)}>
    <h2>${t('discounts.new')}</h2>
    <${Loaded} load=${accounts}>${(list) => html`<${Field} name="customer_id" label=${t('discounts.account')} value=${f.values.customer_id}
      onInput=${f.set} error=${f.fields} required options=${[['', '—'], ...list.map((c) => [c.id, `${c.code} · ${c.name} (${c.tier})`])]} />`}<//>
    <div class="grid">
      <${Field} name="product_category" label=${t('field.product_category')} value=${f.values.product_category} onInput=${f.set} error=${f.fields} required list="categories" />
      <datalist id="categories">${categories.map((c) => html`<option value=${c} />`)}</datalist>
      <${Field} name="rate" label=${t('discounts.ratePercent')} value=${f.values.rate} onInput=${f.set} error=${f.fields} required inputmode="decimal" />
      <${Field} name="method" label=${t('discounts.method')} value=${f.values.method} onInput=${f.set} error=${f.fields} options=${methods.map((m) => [m, te('method', m)])} />
      <${Field} name="valid_from" type="date" label=${t('discounts.validFrom')} value=${f.values.valid_from} onInput=${f.set} error=${f.fields} required />
      <${Field} name="valid_to" type="date" label=${t('discounts.validTo')} value=${f.values.valid_to} onInput=${f.set} error=${f.fields} required />
    </div>
    <${Field} name="reason" type="textarea" label=${t('discounts.reason')} value=${f.values.reason} onInput=${f.set} error=${f.fields} />
    <div class="route-preview" id="route-preview" aria-live="polite">
      ${!acct || !route && policy ? t('discounts.routeUnknown')
        : !policy ? t('discounts.noPolicy')
        : html`${badge('route', route)} <span>${t('discounts.routeExplain.' + route, { max: policy.max_standard_rate, cap: policy.hard_cap_rate })}</span>`}
    </div>
    <${Problem} error=${f.error} />
    <button type="submit" id="submit-discount" disabled=${f.busy || route === 'over_cap'}>${t('discounts.submit')}</button>
  </form>`;
}

function RequestDetail({ id, me }) {
  const load = useLoad(() => get(`/v1/discount-requests/${id}`), [id]);
  return html`<${Loaded} load=${load}>${(r) => html`<section class="card" id="request">
    <h2>${t('discounts.request')} ${r.rate}% · ${te('method', r.method)} · ${r.product_category}</h2>
    <p>${badge('route', r.route)} ${badge('state', r.state, 'req-state')} ${r.stage ? html`${t('discounts.stage')}: ${te('stage', r.stage)}` : ''}
      ${r.escalated ? badge('flag', 'escalated') : ''}</p>
    <dl class="fields">
      <div><dt>${t('discounts.account')}</dt><dd><a href=${'#/accounts/' + r.customer_id}>${t('work.openAccount')}</a></dd></div>
      <div><dt>${t('discounts.validFrom')}</dt><dd>${fmtDate(r.valid_from)}</dd></div>
      <div><dt>${t('discounts.validTo')}</dt><dd>${fmtDate(r.valid_to)}</dd></div>
      <div><dt>${t('discounts.policy')}</dt><dd>${r.policy_max_standard_rate}% / ${r.policy_hard_cap_rate}%</dd></div>
      <div><dt>${t('discounts.deadline')}</dt><dd>${r.state === 'pending' && r.deadline ? html`<${Countdown} to=${r.deadline} />` : '—'}</dd></div>
      <div><dt>${t('discounts.reason')}</dt><dd>${r.reason || '—'}</dd></div>
    </dl>
    <h3>${t('discounts.decisions')}</h3>
    <${Table} rows=${r.decisions || []} cols=${[
      [t('discounts.stage'), (d) => te('stage', d.stage)], [t('discounts.decision'), (d) => badge('decision', d.decision)],
      [t('common.when'), (d) => fmtTime(d.at)], [t('discounts.comment'), (d) => d.comment || '—'],
    ]} />
    ${r.state === 'pending' && r.requester_id !== me.id && may(me.role, 'decideDiscount') ? html`<${Decide} r=${r} onDone=${load.reload} />` : ''}
    ${r.state === 'pending' && r.requester_id === me.id ? html`<${Withdraw} r=${r} onDone=${load.reload} />` : ''}
  </section>`}<//>`;
}

function Decide({ r, onDone }) {
  const f = useForm({ comment: '' });
  const decide = (decision) => f.submit(null, async (v) => { await post(`/v1/discount-requests/${r.id}/decisions`, { decision, comment: v.comment }); onDone(); });
  return html`<form class="subform" id="decide-form" onSubmit=${(e) => e.preventDefault()}>
    <h3>${t('discounts.decide')}</h3>
    <${Field} name="comment" type="textarea" label=${t('discounts.comment')} value=${f.values.comment} onInput=${f.set} error=${f.fields} />
    <${Problem} error=${f.error} />
    <div class="row"><button type="button" id="approve" disabled=${f.busy} onClick=${() => decide('approve')}>${t('discounts.approve')}</button>
      <button type="button" id="reject" class="danger" disabled=${f.busy} onClick=${() => decide('reject')}>${t('discounts.reject')}</button></div>
  </form>`;
}

function Withdraw({ r, onDone }) {
  const f = useForm({});
  return html`<div class="subform"><${Problem} error=${f.error} />
    <button type="button" class="danger" id="withdraw" disabled=${f.busy}
      onClick=${() => confirm(t('discounts.confirmWithdraw')) && f.submit(null, async () => { await post(`/v1/discount-requests/${r.id}/withdraw`); onDone(); })}>${t('discounts.withdraw')}</button></div>`;
}

function Filings({ me }) {
  const [open, setOpen] = useState(true);
  const paged = usePaged('/v1/filings' + qs({ unacknowledged: open ? 'true' : '' }));
  const [error, setError] = useState(null);
  async function ack(f) {
    try { await post(`/v1/filings/${f.id}/acknowledge`); paged.reload(); } catch (e) { setError(e); }
  }
  return html`<section class="card"><h2>${t('discounts.filings')}</h2>
    <label class="inline"><input type="checkbox" checked=${open} onChange=${(e) => setOpen(e.target.checked)} /> ${t('discounts.unacknowledged')}</label>
    <${Problem} error=${error} />
    <${Paged} paged=${paged}>${(items) => html`<${Table} rows=${items} cols=${[
      [t('common.when'), (x) => fmtTime(x.filed_at)], [t('discounts.account'), (x) => html`<a href=${'#/accounts/' + x.customer_id}>${t('work.openAccount')}</a>`],
      [t('discounts.rate'), (x) => `${x.rate}% · ${te('method', x.method)} · ${x.product_category}`],
      [t('discounts.acknowledged'), (x) => (x.acknowledged ? fmtTime(x.acknowledged_at)
        : may(me.role, 'acknowledgeFiling') ? html`<button type="button" class="small" onClick=${() => ack(x)}>${t('discounts.acknowledge')}</button>` : '—')],
    ]} />`}<//></section>`;
}

// Grants is an account's discount standard (Art. 7.8), with revocation
// (POST /v1/discount-grants/{id}/revoke, SPEC §7) for those who may.
export function Grants({ c, me }) {
  const paged = usePaged(`/v1/customers/${c.id}/discounts`);
  const [error, setError] = useState(null);
  async function revoke(g) {
    const reason = prompt(t('discounts.revokeReason'));
    if (!reason) return;
    try { await post(`/v1/discount-grants/${g.id}/revoke`, { reason }); paged.reload(); } catch (e) { setError(e); }
  }
  return html`<h2>${t('account.discounts')}</h2>
    <${Problem} error=${error} />
    <${Paged} paged=${paged}>${(items) => html`<${Table} rows=${items} empty=${t('discounts.noGrants')} cols=${[
      [t('field.product_category'), (g) => g.product_category], [t('discounts.rate'), (g) => html`<span class="grant-rate">${g.rate}%</span> · ${te('method', g.method)}`],
      [t('discounts.validFrom'), (g) => fmtDate(g.valid_from)], [t('discounts.validTo'), (g) => fmtDate(g.valid_to)],
      [t('discounts.granted'), (g) => (g.ended_at ? html`${t('discounts.ended')} ${fmtTime(g.ended_at)}` : badge('state', 'granted'))],
      ['', (g) => (!g.ended_at && may(me.role, 'revokeGrant') ? html`<button type="button" class="secondary small" onClick=${() => revoke(g)}>${t('discounts.revoke')}</button>` : '')],
    ]} />`}<//>
    ${may(me.role, 'requestDiscount') ? html`<p><a href=${'#/discounts/new/' + c.id}>${t('discounts.new')}</a></p>` : ''}`;
}
