// Credit (Art. 10, 13, 7.7): the arrears overview (GET /v1/credit, SPEC §7)
// and an account's agreement, ledger, statements and reversals.
import { html, useState, useLoad, Loaded, Field, useForm, Problem, Table, usePaged, Paged, fmtDate, fmtTime, badge, today } from './ui.js';
import { get, post, request, qs } from './api.js';
import { t, te } from './i18n.js';
import { may } from './roles.js';

export function Credit({ me }) {
  const [filter, setFilter] = useState({ status: '', overdue: '' });
  const paged = usePaged('/v1/credit' + qs(filter));
  const set = (k, v) => setFilter((o) => ({ ...o, [k]: v }));
  return html`<h1>${t('credit.title')}</h1>
    <section class="card" id="arrears">
      <h2>${t('credit.overview')}</h2>
      <div class="grid">
        <${Field} name="status" label=${t('field.status')} value=${filter.status} onInput=${set}
          options=${[['', t('common.any')], ...['active', 'suspended', 'closed'].map((s) => [s, te('credit', s)])]} />
        <${Field} name="overdue" label=${t('credit.overdueOnly')} value=${filter.overdue} onInput=${set}
          options=${[['', t('common.any')], ['true', t('common.yes')]]} />
      </div>
      ${paged.error && paged.error.status === 404 ? html`<p class="muted">${t('credit.noOverview')}</p>` : html`
      <${Paged} paged=${paged}>${(items) => html`<${Table} rows=${items} cols=${[
        [t('discounts.account'), (x) => html`<a href=${'#/accounts/' + x.customer_id + '/credit'}>${x.customer_name || x.customer_code || t('work.openAccount')}</a>`],
        [t('field.status'), (x) => badge('credit', x.status)], [t('credit.limit'), (x) => x.arrears_limit],
        [t('credit.outstanding'), (x) => x.outstanding], [t('credit.overdue'), (x) => x.overdue_amount ?? '—'],
      ]} />`}<//>`}
    </section>
    <p>${t('credit.perAccount')} <a href="#/accounts">${t('nav.accounts')}</a></p>`;
}

export function AccountCredit({ c, me, load }) {
  const editable = may(me.role, 'editCredit');
  if (load.error && load.error.refused && !editable) return null;
  const missing = load.error && load.error.status === 404;
  return html`<h2>${t('account.credit')}</h2>
    ${missing ? html`<p class="muted">${t('credit.none')}</p>` : html`<${Loaded} load=${load}>${(cr) => html`<dl class="fields" id="credit">
      <div><dt>${t('field.status')}</dt><dd>${badge('credit', cr.status)} ${cr.suspension_reason || ''}</dd></div>
      <div><dt>${t('field.credit_level')}</dt><dd>${cr.credit_level}</dd></div>
      <div><dt>${t('credit.limit')}</dt><dd>${cr.arrears_limit}</dd></div>
      <div><dt>${t('credit.outstanding')}</dt><dd>${cr.outstanding}</dd></div>
      <div><dt>${t('credit.cycle')}</dt><dd><code>${cr.settlement_cycle}</code></dd></div>
      <div><dt>${t('credit.term')}</dt><dd>${cr.payment_term_days}</dd></div>
    </dl>`}<//>`}
    ${editable ? html`<${Agreement} c=${c} cr=${load.data} onDone=${load.reload} />` : ''}
    <${Statements} c=${c} />
    <${Ledger} c=${c} me=${me} kind="charges" onDone=${load.reload} />
    <${Ledger} c=${c} me=${me} kind="payments" onDone=${load.reload} />`;
}

function Agreement({ c, cr, onDone }) {
  const [open, setOpen] = useState(false);
  const f = useForm({ credit_level: cr?.credit_level || '', arrears_limit: cr?.arrears_limit || '', settlement_cycle: cr?.settlement_cycle || '@every 720h',
    payment_term_days: String(cr?.payment_term_days ?? 30), status: cr?.status === 'closed' ? 'closed' : 'active' });
  if (!open) return html`<p><button type="button" class="secondary" onClick=${() => setOpen(true)}>${t('credit.editAgreement')}</button></p>`;
  async function save(v) {
    await request('PUT', `/v1/customers/${c.id}/credit`, { body: { ...v, payment_term_days: parseInt(v.payment_term_days, 10) } });
    setOpen(false);
    onDone();
  }
  return html`<form class="subform" onSubmit=${(e) => f.submit(e, save)}><h3>${t('credit.editAgreement')}</h3>
    <div class="grid">
      <${Field} name="credit_level" label=${t('field.credit_level')} value=${f.values.credit_level} onInput=${f.set} error=${f.fields} required />
      <${Field} name="arrears_limit" label=${t('credit.limit')} value=${f.values.arrears_limit} onInput=${f.set} error=${f.fields} required inputmode="decimal" />
      <${Field} name="settlement_cycle" label=${t('credit.cycle')} value=${f.values.settlement_cycle} onInput=${f.set} error=${f.fields} required />
      <${Field} name="payment_term_days" label=${t('credit.term')} value=${f.values.payment_term_days} onInput=${f.set} error=${f.fields} type="number" />
      <${Field} name="status" label=${t('field.status')} value=${f.values.status} onInput=${f.set} error=${f.fields} options=${[['active', te('credit', 'active')], ['closed', te('credit', 'closed')]]} />
    </div><${Problem} error=${f.error} /><button type="submit" disabled=${f.busy}>${t('common.save')}</button></form>`;
}

function Statements({ c }) {
  const paged = usePaged(`/v1/customers/${c.id}/statements`);
  return html`<h3>${t('credit.statements')}</h3>
    <${Paged} paged=${paged}>${(items) => html`<${Table} rows=${items} cols=${[
      [t('credit.period'), (s) => `${fmtDate(s.period_start)} – ${fmtDate(s.period_end)}`], [t('credit.amountDue'), (s) => s.amount_due],
      [t('credit.paid'), (s) => s.paid], [t('credit.due'), (s) => fmtDate(s.due_date)], [t('field.status'), (s) => badge('statement', s.status)],
    ]} />`}<//>`;
}

// Ledger lists charges or payments (SPEC §7) with their reversals, and records
// new ones (finance).
function Ledger({ c, me, kind, onDone }) {
  const paged = usePaged(`/v1/customers/${c.id}/${kind}`);
  const dateField = kind === 'charges' ? 'occurred_on' : 'received_on';
  const f = useForm({ amount: '', reference: '', [dateField]: today() });
  const [error, setError] = useState(null);
  const ledger = may(me.role, 'ledger');
  async function reverse(e) {
    const reason = prompt(t('credit.reversalReason'));
    if (!reason) return;
    try { await post(`/v1/customers/${c.id}/${kind}/${e.id}/reversal`, { reason }); paged.reload(); onDone(); } catch (err) { setError(err); }
  }
  async function record(v) {
    await post(`/v1/customers/${c.id}/${kind}`, v);
    f.setValues({ amount: '', reference: '', [dateField]: today() });
    paged.reload();
    onDone();
  }
  return html`<h3>${t('credit.' + kind)}</h3>
    <${Problem} error=${error} />
    <${Paged} paged=${paged}>${(items) => html`<${Table} rows=${items} cols=${[
      [t('credit.date'), (e) => fmtDate(e[dateField])], [t('sale.amount'), (e) => e.amount], [t('credit.reference'), (e) => e.reference || '—'],
      ['', (e) => (ledger && !e.reversed_by && !e.reversal_of ? html`<button type="button" class="secondary small" onClick=${() => reverse(e)}>${t('credit.reverse')}</button>` : e.reversal_of ? t('credit.reversal') : '')],
    ]} />`}<//>
    ${ledger ? html`<form class="subform" onSubmit=${(e) => f.submit(e, record)}><h4>${t('credit.record.' + kind)}</h4>
      <div class="grid"><${Field} name="amount" label=${t('sale.amount')} value=${f.values.amount} onInput=${f.set} error=${f.fields} required inputmode="decimal" />
      <${Field} name="reference" label=${t('credit.reference')} value=${f.values.reference} onInput=${f.set} error=${f.fields} />
      <${Field} name=${dateField} type="date" label=${t('credit.date')} value=${f.values[dateField]} onInput=${f.set} error=${f.fields} required /></div>
      <${Problem} error=${f.error} /><button type="submit" disabled=${f.busy}>${t('common.save')}</button></form>` : ''}`;
}
