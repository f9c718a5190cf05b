// Accounts: search and the archive (Art. 7) with its sections, each a
// registered API read; a section the API refuses is not shown.
import { html, useState, useEffect, useLoad, Loaded, Field, useForm, Problem, Table, usePaged, Paged, Tabs,
  fmtDate, fmtTime, badge, Countdown, today } from './ui.js';
import { get, post, request, qs, setPurpose } from './api.js';
import { t, te } from './i18n.js';
import { may } from './roles.js';
import { AccountCredit } from './credit.js';
import { Grants } from './discounts.js';

export function Accounts({ me }) {
  const [filter, setFilter] = useState({ q: '', tier: '', status: 'active' });
  const [query, setQuery] = useState(filter);
  const paged = usePaged('/v1/customers' + qs({ ...query, limit: 25 }));
  const set = (k, v) => setFilter((o) => ({ ...o, [k]: v }));
  return html`<h1>${t('accounts.title')}</h1>
    <form class="card filters" role="search" onSubmit=${(e) => { e.preventDefault(); setQuery(filter); }}>
      <${Field} name="q" label=${t('accounts.search')} value=${filter.q} onInput=${set} type="search" />
      <${Field} name="tier" label=${t('field.tier')} value=${filter.tier} onInput=${set} />
      <${Field} name="status" label=${t('field.status')} value=${filter.status} onInput=${set}
        options=${[['', t('common.any')], ['active', te('status', 'active')], ['churned', te('status', 'churned')]]} />
      <button type="submit">${t('common.search')}</button>
    </form>
    ${may(me.role, 'createAccount') ? html`<${NewAccount} onCreated=${(c) => { location.hash = '#/accounts/' + c.id; }} />` : ''}
    <section class="card" aria-label=${t('accounts.title')}>
      <${Paged} paged=${paged}>${(items) => html`<${Table} rows=${items} cols=${[
        [t('field.code'), (c) => html`<a href=${'#/accounts/' + c.id}>${c.code}</a>`],
        [t('field.name'), (c) => html`<a href=${'#/accounts/' + c.id}>${c.name}</a>`],
        [t('field.tier'), (c) => c.tier],
        [t('field.status'), (c) => badge('status', c.status)],
        [t('account.archive'), (c) => (c.archive_complete ? badge('archive', 'complete') : badge('archive', 'incomplete'))],
      ]} />`}<//>
    </section>`;
}

function NewAccount({ onCreated }) {
  const [open, setOpen] = useState(false);
  const f = useForm({ code: '', name: '', tier: 'B' });
  if (!open) return html`<p><button type="button" class="secondary" onClick=${() => setOpen(true)}>${t('accounts.new')}</button></p>`;
  return html`<form class="card" onSubmit=${(e) => f.submit(e, async (v) => onCreated(await post('/v1/customers', v)))}>
    <h2>${t('accounts.new')}</h2>
    <div class="grid">
      ${['code', 'name', 'tier'].map((k) => html`<${Field} name=${k} label=${t('field.' + k)} value=${f.values[k]} onInput=${f.set} error=${f.fields} required />`)}
    </div>
    <${Problem} error=${f.error} />
    <button type="submit" disabled=${f.busy}>${t('common.create')}</button>
  </form>`;
}

const profileFields = ['name', 'code', 'nature', 'industry', 'product_category', 'tier', 'service_mode', 'account_manager_id',
  'legal_representative', 'company_size', 'main_products', 'annual_output_value', 'credibility', 'profit_status',
  'founded_on', 'address', 'postcode', 'phone', 'fax', 'email'];
const assignFields = ['tier', 'account_manager_id'];

function tabsFor(me, creditShown) {
  const tabs = [['profile', t('account.profile')], ['contacts', t('account.contacts')], ['key-persons', t('account.keyPersons')],
    ['visits', t('account.visits')]];
  if (may(me.role, 'sales')) tabs.push(['sales', t('account.sales')]);
  if (may(me.role, 'tickets')) tabs.push(['tickets', t('account.tickets')]);
  if (creditShown) tabs.push(['credit', t('account.credit')]);
  if (may(me.role, 'grants')) tabs.push(['discounts', t('account.discounts')]);
  tabs.push(['history', t('account.history')]);
  return tabs;
}

export function Account({ id, tab, me }) {
  const [purpose, setP] = useState(sessionStorage.getItem('kam.purpose') || '');
  useEffect(() => { setPurpose(purpose); sessionStorage.setItem('kam.purpose', purpose); }, [purpose]);
  const load = useLoad(() => request('GET', `/v1/customers/${id}`), [id]);
  // Credit is a section some roles may not see: asked only of roles that
  // may, and dropped when the API refuses it anyway.
  const credit = useLoad(() => (may(me.role, 'credit') ? get(`/v1/customers/${id}/credit`) : Promise.reject({ refused: true })), [id]);
  const creditShown = may(me.role, 'credit') && !(credit.error && credit.error.refused && !may(me.role, 'editCredit'));
  if (load.error) {
    return html`<h1>${t('account.title')}</h1>${load.error.refused ? html`<p class="problem" role="alert">${t('account.notVisible')}</p>` : html`<${Problem} error=${load.error} />`}`;
  }
  if (!load.data) return html`<p class="muted">${t('common.loading')}</p>`;
  const c = load.data.data;
  const base = `#/accounts/${id}`;
  return html`<h1>${c.name} <small class="muted">${c.code}</small></h1>
    <p class="summary">${badge('status', c.status)} ${t('field.tier')} <strong>${c.tier}</strong> ·
      ${c.archive_complete ? badge('archive', 'complete') : html`${badge('archive', 'incomplete')}
      <span id="missing">${t('account.missing')}: ${(c.missing_sections || []).map((s) => te('section', s)).join(', ')}</span>`}</p>
    <details class="purpose"><summary>${t('account.purpose')}</summary>
      <${Field} name="purpose" label=${t('account.purposeLabel')} value=${purpose} onInput=${(_, v) => setP(v)} maxlength="200" hint=${t('account.purposeHint')} />
    </details>
    <${Tabs} tabs=${tabsFor(me, creditShown)} current=${tab} base=${base} />
    <section class="card" id=${'tab-' + tab}>${section(tab, c, load, me, credit)}</section>`;
}

function section(tab, c, load, me, credit) {
  switch (tab) {
    case 'contacts': return html`<${People} c=${c} me=${me} kind="contacts" />`;
    case 'key-persons': return html`<${People} c=${c} me=${me} kind="key-persons" />`;
    case 'visits': return html`<${Visits} c=${c} me=${me} />`;
    case 'sales': return html`<${Sales} c=${c} />`;
    case 'tickets': return html`<${AccountTickets} c=${c} me=${me} />`;
    case 'credit': return html`<${AccountCredit} c=${c} me=${me} load=${credit} />`;
    case 'discounts': return html`<${Grants} c=${c} me=${me} />`;
    case 'history': return html`<${History} c=${c} />`;
    default: return html`<${Profile} c=${c} etag=${load.data.etag} me=${me} reload=${load.reload} />`;
  }
}

function Profile({ c, etag, me, reload }) {
  const [editing, setEditing] = useState(false);
  const [asOf, setAsOf] = useState('');
  const past = useLoad(() => (asOf ? get(`/v1/customers/${c.id}${qs({ as_of: asOf })}`) : Promise.resolve(null)), [asOf]);
  const shown = (asOf && past.data) || c;
  if (editing) return html`<${EditProfile} c=${c} etag=${etag} me=${me} done=${() => { setEditing(false); reload(); }} cancel=${() => setEditing(false)} />`;
  return html`<h2>${t('account.profile')} <small class="muted">${t('field.version')} ${shown.version}</small></h2>
    <div class="row">
      ${may(me.role, 'editArchive') && !asOf ? html`<button type="button" id="edit-profile" onClick=${() => setEditing(true)}>${t('common.edit')}</button>` : ''}
      <${Field} name="as_of" type="date" label=${t('account.asOf')} value=${asOf} onInput=${(_, v) => setAsOf(v)} />
    </div>
    ${past.error ? html`<${Problem} error=${past.error} />` : ''}
    <dl class="fields">${profileFields.map((k) => html`<div><dt>${t('field.' + k)}</dt><dd>${k === 'service_mode' ? te(k, shown[k]) : shown[k] ?? '—'}</dd></div>`)}
      <div><dt>${t('field.credit_level')}</dt><dd>${shown.credit_level || '—'}</dd></div>
      <div><dt>${t('field.opened_on')}</dt><dd>${fmtDate(shown.opened_on)}</dd></div></dl>`;
}

// EditProfile sends only the changed fields, with If-Match: the version
// read. A stale version is a 412 version_conflict, shown as such.
function EditProfile({ c, etag, me, done, cancel }) {
  const editable = profileFields.filter((k) => may(me.role, 'assign') || !assignFields.includes(k));
  const init = Object.fromEntries(editable.map((k) => [k, c[k] ?? '']));
  const f = useForm(init);
  const conflict = f.error && f.error.status === 412;
  async function save(v) {
    const body = {};
    for (const k of editable) if ((v[k] ?? '') !== (init[k] ?? '')) body[k] = v[k] === '' ? null : v[k];
    await request('PATCH', `/v1/customers/${c.id}`, { body, headers: { 'If-Match': etag || `"${c.version}"` } });
    done();
  }
  const opts = { service_mode: [['', '—'], ['account_manager', te('service_mode', 'account_manager')], ['resident', te('service_mode', 'resident')]] };
  return html`<form id="profile-form" onSubmit=${(e) => f.submit(e, save)}>
    <h2>${t('account.editProfile')} <small class="muted">${t('field.version')} ${c.version}</small></h2>
    <div class="grid">${editable.map((k) => html`<${Field} name=${k} label=${t('field.' + k)} value=${f.values[k]} onInput=${f.set}
      error=${f.fields} options=${opts[k]} type=${k === 'founded_on' ? 'date' : k === 'email' ? 'email' : 'text'} />`)}</div>
    ${conflict ? html`<div class="problem conflict" role="alert" id="conflict"><strong>${t('account.conflict')}</strong> ${f.error.message}
      <button type="button" class="secondary" onClick=${done}>${t('account.reload')}</button></div>` : html`<${Problem} error=${f.error} />`}
    <div class="row"><button type="submit" id="save-profile" disabled=${f.busy}>${t('common.save')}</button>
      <button type="button" class="secondary" onClick=${cancel}>${t('common.cancel')}</button></div>
  </form>`;
}

const personFields = {
  contacts: ['name', 'title', 'phone', 'email'],
  'key-persons': ['name', 'role', 'title', 'birthday', 'phone', 'email'],
};

function People({ c, me, kind }) {
  const paged = usePaged(`/v1/customers/${c.id}/${kind}`);
  const [error, setError] = useState(null);
  const fields = personFields[kind];
  async function remove(p) {
    if (!confirm(t('people.confirmRemove', { name: p.name }))) return;
    try {
      await request('DELETE', `/v1/customers/${c.id}/${kind}/${p.id}`, { headers: { 'If-Match': `"${p.version}"` } });
      paged.reload();
    } catch (e) { setError(e); }
  }
  const [editing, setEditing] = useState(null);
  const cols = fields.map((k) => [t('field.' + k), (p) => (k === 'role' ? te('person', p[k]) : p[k] ?? '—')]);
  if (may(me.role, 'editArchive')) {
    cols.push(['', (p) => html`<span class="row"><button type="button" class="secondary small" onClick=${() => setEditing(p)}>${t('common.edit')}</button>
      <button type="button" class="secondary small" onClick=${() => remove(p)}>${t('common.remove')}</button></span>`]);
  }
  return html`<h2>${kind === 'contacts' ? t('account.contacts') : t('account.keyPersons')}</h2>
    <${Problem} error=${error} />
    ${editing ? html`<${EditPerson} key=${editing.id} c=${c} kind=${kind} fields=${fields} person=${editing}
      done=${() => { setEditing(null); paged.reload(); }} cancel=${() => setEditing(null)} />` : ''}
    <${Paged} paged=${paged}>${(items) => html`<${Table} rows=${items} cols=${cols} />`}<//>
    ${may(me.role, 'editArchive') ? html`<${AddPerson} c=${c} kind=${kind} fields=${fields} onAdded=${paged.reload} />` : ''}`;
}

// EditPerson changes a contact or key person (SPEC §7, Art. 7.2): only the
// changed fields, with If-Match on the version read.
function EditPerson({ c, kind, fields, person, done, cancel }) {
  const init = Object.fromEntries(fields.map((k) => [k, person[k] ?? '']));
  const f = useForm(init);
  async function save(v) {
    const body = {};
    for (const k of fields) if (v[k] !== init[k]) body[k] = v[k] === '' ? null : v[k];
    await request('PATCH', `/v1/customers/${c.id}/${kind}/${person.id}`, { body, headers: { 'If-Match': `"${person.version}"` } });
    done();
  }
  const roles = ['head', 'handler', 'other'].map((r) => [r, te('person', r)]);
  return html`<form class="subform" id="person-form" onSubmit=${(e) => f.submit(e, save)}>
    <h3>${t('people.edit', { name: person.name })}</h3>
    <div class="grid">${fields.map((k) => html`<${Field} name=${k} label=${t('field.' + k)} value=${f.values[k]} onInput=${f.set}
      error=${f.fields} required=${k === 'name'} options=${k === 'role' ? roles : undefined} type=${k === 'birthday' ? 'date' : 'text'} />`)}</div>
    ${f.error && f.error.status === 412 ? html`<div class="problem conflict" role="alert"><strong>${t('account.conflict')}</strong> ${f.error.message}</div>` : html`<${Problem} error=${f.error} />`}
    <div class="row"><button type="submit" disabled=${f.busy}>${t('common.save')}</button>
      <button type="button" class="secondary" onClick=${cancel}>${t('common.cancel')}</button></div>
  </form>`;
}

function AddPerson({ c, kind, fields, onAdded }) {
  const empty = Object.fromEntries(fields.map((k) => [k, k === 'role' ? 'head' : '']));
  const f = useForm(empty);
  async function add(v) {
    const body = Object.fromEntries(Object.entries(v).filter(([, x]) => x !== ''));
    await post(`/v1/customers/${c.id}/${kind}`, body);
    f.setValues(empty);
    onAdded();
  }
  const roles = ['head', 'handler', 'other'].map((r) => [r, te('person', r)]);
  return html`<form class="subform" onSubmit=${(e) => f.submit(e, add)}>
    <h3>${t('people.add')}</h3>
    <div class="grid">${fields.map((k) => html`<${Field} name=${k} label=${t('field.' + k)} value=${f.values[k]} onInput=${f.set}
      error=${f.fields} required=${k === 'name'} options=${k === 'role' ? roles : undefined} type=${k === 'birthday' ? 'date' : 'text'} />`)}</div>
    <${Problem} error=${f.error} />
    <button type="submit" disabled=${f.busy}>${t('common.add')}</button>
  </form>`;
}

function History({ c }) {
  const paged = usePaged(`/v1/customers/${c.id}/history`);
  return html`<h2>${t('account.history')}</h2>
    <${Paged} paged=${paged}>${(items) => html`<${Table} rows=${items} cols=${[
      [t('common.when'), (h) => fmtTime(h.at)], [t('history.who'), (h) => h.staff_name || '—'],
      [t('history.field'), (h) => h.field], [t('history.old'), (h) => h.old ?? '—'], [t('history.new'), (h) => h.new ?? '—'],
    ]} />`}<//>`;
}

function Visits({ c, me }) {
  const paged = usePaged(`/v1/customers/${c.id}/visits`);
  const f = useForm({ visited_on: today(), notes: '', outcome: '' });
  return html`<h2>${t('account.visits')}</h2>
    <${Paged} paged=${paged}>${(items) => html`<${Table} rows=${items} cols=${[
      [t('field.status'), (v) => badge('visit', v.status)], [t('visit.due'), (v) => fmtTime(v.due_at)],
      [t('visit.on'), (v) => fmtDate(v.visited_on)], [t('visit.notes'), (v) => v.notes || '—'], [t('visit.outcome'), (v) => v.outcome || '—'],
    ]} />`}<//>
    ${may(me.role, 'recordVisits') ? html`<form class="subform" onSubmit=${(e) => f.submit(e, async (v) => { await post(`/v1/customers/${c.id}/visits`, v); paged.reload(); })}>
      <h3>${t('visit.record')}</h3>
      <div class="grid"><${Field} name="visited_on" type="date" label=${t('visit.on')} value=${f.values.visited_on} onInput=${f.set} error=${f.fields} required />
      <${Field} name="notes" label=${t('visit.notes')} value=${f.values.notes} onInput=${f.set} error=${f.fields} />
      <${Field} name="outcome" label=${t('visit.outcome')} value=${f.values.outcome} onInput=${f.set} error=${f.fields} /></div>
      <${Problem} error=${f.error} /><button type="submit" disabled=${f.busy}>${t('common.save')}</button></form>` : ''}`;
}

function Sales({ c }) {
  const paged = usePaged(`/v1/customers/${c.id}/sales`);
  return html`<h2>${t('account.sales')}</h2>
    <${Paged} paged=${paged}>${(items) => html`<${Table} rows=${items} cols=${[
      [t('sale.on'), (s) => fmtDate(s.sold_on)], [t('sale.product'), (s) => s.product], [t('field.product_category'), (s) => s.product_category],
      [t('sale.quantity'), (s) => s.quantity], [t('sale.amount'), (s) => s.amount], [t('sale.rate'), (s) => s.applied_rate],
    ]} />`}<//>`;
}

function AccountTickets({ c, me }) {
  const paged = usePaged('/v1/tickets' + qs({ customer_id: c.id }));
  const f = useForm({ kind: 'inquiry', subject: '', body: '' });
  return html`<h2>${t('account.tickets')}</h2>
    <${Paged} paged=${paged}>${(items) => html`<${Table} rows=${items} cols=${[
      [t('ticket.subject'), (x) => html`<a href=${'#/tickets/' + x.id}>${x.subject}</a>`], [t('ticket.kind'), (x) => te('ticketKind', x.kind)],
      [t('field.status'), (x) => badge('ticket', x.status)], [t('ticket.resolveBy'), (x) => html`<${Countdown} to=${x.resolve_by} />`],
    ]} />`}<//>
    ${may(me.role, 'handleTickets') ? html`<form class="subform" onSubmit=${(e) => f.submit(e, async (v) => { await post('/v1/tickets', { ...v, customer_id: c.id }); paged.reload(); })}>
      <h3>${t('ticket.new')}</h3>
      <div class="grid"><${Field} name="kind" label=${t('ticket.kind')} value=${f.values.kind} onInput=${f.set} error=${f.fields}
        options=${['inquiry', 'complaint', 'claim', 'shipping'].map((k) => [k, te('ticketKind', k)])} />
      <${Field} name="subject" label=${t('ticket.subject')} value=${f.values.subject} onInput=${f.set} error=${f.fields} required />
      <${Field} name="body" type="textarea" label=${t('ticket.body')} value=${f.values.body} onInput=${f.set} error=${f.fields} /></div>
      <${Problem} error=${f.error} /><button type="submit" disabled=${f.busy}>${t('ticket.new')}</button></form>` : ''}`;
}
