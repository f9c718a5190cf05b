// People (SPEC §7 "Staff and identity", Art. 4, 20): the staff list; one
// person with their record (admin: name, e-mail, role, language, active),
// their API tokens (admin: issue, shown once; revoke), and the handover of
// a manager's accounts to another (admin, KA manager).
import { html, useState, useEffect, useLoad, Field, useForm, Problem, Table, usePaged, Paged, fmtTime, badge } from './ui.js';
import { get, post, request, qs, all } from './api.js';
import { t, te } from './i18n.js';
import { may } from './roles.js';

const roles = ['admin', 'general_manager', 'ka_manager', 'account_manager', 'data_clerk', 'service_agent', 'finance', 'auditor'];
const locales = [['zh-CN', '简体中文'], ['en', 'English']];

// useStaff reads every member of staff for those who may list them (to
// name people and to choose one); others get an empty list and no read.
export function useStaff(me) {
  return useLoad(() => (may(me.role, 'listStaff') ? all('/v1/staff?limit=200', 10) : Promise.resolve([])), [me.id]);
}

// staffName names a person from the list, or shows a short id where the
// caller may not list staff.
export function staffName(list, id, me) {
  if (!id) return '—';
  if (me && id === me.id) return me.name;
  const s = (list || []).find((x) => x.id === id);
  return s ? s.name : id.slice(0, 8) + '…';
}

export function People({ me, path }) {
  if (path[0]) return html`<${Person} key=${path[0]} id=${path[0]} me=${me} />`;
  return html`<${StaffList} me=${me} />`;
}

function StaffList({ me }) {
  const [role, setRole] = useState('');
  const paged = usePaged('/v1/staff' + qs({ role, limit: 25 }));
  return html`<h1>${t('staff.title')}</h1>
    ${may(me.role, 'manageStaff') ? html`<${NewPerson} />` : ''}
    <section class="card" aria-labelledby="staff-h" id="staff">
      <h2 id="staff-h">${t('staff.staff')}</h2>
      <${Field} name="role" label=${t('staff.role')} value=${role} onInput=${(_, v) => setRole(v)}
        options=${[['', t('common.any')], ...roles.map((r) => [r, te('role', r)])]} />
      <${Paged} paged=${paged}>${(items) => html`<${Table} rows=${items} cols=${[
        [t('field.name'), (s) => html`<a href=${'#/people/' + s.id} class="person-link">${s.name}</a>`],
        [t('staff.role'), (s) => te('role', s.role)],
        [t('field.status'), (s) => badge('staffStatus', s.active ? 'active' : 'inactive')],
        [t('field.email'), (s) => s.email || '—'],
        [t('staff.locale'), (s) => te('locale', s.locale)],
      ]} />`}<//>
    </section>`;
}

function NewPerson() {
  const [open, setOpen] = useState(false);
  const f = useForm({ name: '', email: '', role: 'account_manager', locale: 'zh-CN' });
  if (!open) return html`<p><button type="button" class="secondary" id="new-person" onClick=${() => setOpen(true)}>${t('staff.new')}</button></p>`;
  async function create(v) {
    const s = await post('/v1/staff', { ...v, email: v.email || undefined });
    location.hash = '#/people/' + s.id;
  }
  return html`<form class="card" id="person-new" onSubmit=${(e) => f.submit(e, create)}>
    <h2>${t('staff.new')}</h2>
    <div class="grid">
      <${Field} name="name" label=${t('field.name')} value=${f.values.name} onInput=${f.set} error=${f.fields} required />
      <${Field} name="email" type="email" label=${t('field.email')} value=${f.values.email} onInput=${f.set} error=${f.fields} />
      <${Field} name="role" label=${t('staff.role')} value=${f.values.role} onInput=${f.set} error=${f.fields}
        options=${roles.map((r) => [r, te('role', r)])} />
      <${Field} name="locale" label=${t('staff.locale')} value=${f.values.locale} onInput=${f.set} error=${f.fields} options=${locales} />
    </div>
    <${Problem} error=${f.error} />
    <div class="row"><button type="submit" disabled=${f.busy}>${t('common.create')}</button>
      <button type="button" class="secondary" onClick=${() => setOpen(false)}>${t('common.cancel')}</button></div>
  </form>`;
}

// managers are the active account managers other than p: who may receive
// p's accounts (README "Handing over": an active account manager, not the
// person who leaves).
function managers(list, p) {
  return (list || []).filter((s) => s.active && s.role === 'account_manager' && s.id !== p.id);
}

function Person({ id, me }) {
  const load = useLoad(() => request('GET', `/v1/staff/${id}`), [id]);
  const staff = useStaff(me);
  const [editing, setEditing] = useState(false);
  const [handover, setHandover] = useState(null);
  if (load.error) {
    return html`<h1>${t('staff.person')}</h1>${load.error.refused ? html`<p class="problem" role="alert">${t('staff.notVisible')}</p>` : html`<${Problem} error=${load.error} />`}`;
  }
  if (!load.data) return html`<p class="muted">${t('common.loading')}</p>`;
  const p = load.data.data;
  const started = (h) => { setHandover(h); load.reload(); staff.reload(); };
  return html`<p><a href="#/people">${t('staff.back')}</a></p>
    <h1>${p.name} <small class="muted">${te('role', p.role)}</small></h1>
    <section class="card" id="person">
      ${editing ? html`<${EditPerson} p=${p} etag=${load.data.etag} staff=${staff.data}
          done=${(h) => { setEditing(false); if (h) setHandover(h); load.reload(); staff.reload(); }} cancel=${() => setEditing(false)} />`
        : html`<h2>${t('staff.record')} <small class="muted">${t('field.version')} ${p.version}</small></h2>
        <dl class="fields">
          <div><dt>${t('field.name')}</dt><dd>${p.name}</dd></div>
          <div><dt>${t('field.email')}</dt><dd>${p.email || '—'}</dd></div>
          <div><dt>${t('staff.role')}</dt><dd>${te('role', p.role)}</dd></div>
          <div><dt>${t('staff.locale')}</dt><dd>${te('locale', p.locale)}</dd></div>
          <div><dt>${t('field.status')}</dt><dd id="person-active">${badge('staffStatus', p.active ? 'active' : 'inactive')}</dd></div>
          <div><dt>${t('staff.since')}</dt><dd>${fmtTime(p.created_at)}</dd></div>
        </dl>
        ${may(me.role, 'manageStaff') ? html`<p><button type="button" id="edit-person" onClick=${() => setEditing(true)}>${t('common.edit')}</button></p>` : ''}`}
    </section>
    ${handover ? html`<${HandoverProgress} key=${handover.id} h=${handover} staff=${staff.data} me=${me} />` : ''}
    ${may(me.role, 'handOver') && p.role === 'account_manager' && p.id !== me.id
      ? html`<${HandOver} p=${p} staff=${staff.data} onStarted=${started} />` : ''}
    ${may(me.role, 'manageStaff') || p.id === me.id ? html`<${Tokens} p=${p} me=${me} />` : ''}`;
}

// EditPerson sends the changed fields with If-Match. Deactivating someone
// who still has accounts (or moving them out of account_manager) needs a
// receiver: the API answers 409 has_assignments without one, so the
// receiver is asked for right here, next to the change that needs it.
function EditPerson({ p, etag, staff, done, cancel }) {
  const init = { name: p.name, email: p.email || '', role: p.role, locale: p.locale, active: p.active ? 'true' : 'false', handover_to: '' };
  const f = useForm(init);
  // Accounts are an account manager's: only their leaving asks for a receiver up front.
  const leaving = p.role === 'account_manager' && ((f.values.active === 'false' && p.active) || f.values.role !== 'account_manager');
  const needsReceiver = f.error && f.error.code === 'has_assignments';
  const fields = { ...f.fields };
  if (needsReceiver && !f.values.handover_to) fields.handover_to = t('staff.receiverNeeded');
  async function save(v) {
    const body = {};
    for (const k of ['name', 'email', 'role', 'locale']) if (v[k] !== init[k]) body[k] = k === 'email' && v[k] === '' ? null : v[k];
    if (v.active !== init.active) body.active = v.active === 'true';
    if ((leaving || needsReceiver) && v.handover_to) body.handover_to = v.handover_to;
    const res = await request('PATCH', `/v1/staff/${p.id}`, { body, headers: { 'If-Match': etag || `"${p.version}"` } });
    done(res.data && res.data.handover);
  }
  const yesNo = [['true', te('staffStatus', 'active')], ['false', te('staffStatus', 'inactive')]];
  return html`<form id="staff-form" onSubmit=${(e) => f.submit(e, save)}>
    <h2>${t('staff.edit')} <small class="muted">${t('field.version')} ${p.version}</small></h2>
    <div class="grid">
      <${Field} name="name" label=${t('field.name')} value=${f.values.name} onInput=${f.set} error=${fields} required />
      <${Field} name="email" type="email" label=${t('field.email')} value=${f.values.email} onInput=${f.set} error=${fields} />
      <${Field} name="role" label=${t('staff.role')} value=${f.values.role} onInput=${f.set} error=${fields}
        options=${roles.map((r) => [r, te('role', r)])} />
      <${Field} name="locale" label=${t('staff.locale')} value=${f.values.locale} onInput=${f.set} error=${fields} options=${locales} />
      <${Field} name="active" label=${t('field.status')} value=${f.values.active} onInput=${f.set} error=${fields} options=${yesNo}
        hint=${f.values.active === 'false' && p.active ? t('staff.deactivateHint') : undefined} />
      ${leaving || needsReceiver ? html`<${Field} name="handover_to" label=${t('staff.handoverTo')} value=${f.values.handover_to}
        onInput=${f.set} error=${fields} hint=${t('staff.handoverToHint')}
        options=${[['', '—'], ...managers(staff, p).map((s) => [s.id, s.name])]} />` : ''}
    </div>
    ${f.error && f.error.status === 412 ? html`<div class="problem conflict" role="alert"><strong>${t('staff.conflict')}</strong> ${f.error.message}
      <button type="button" class="secondary" onClick=${() => done()}>${t('account.reload')}</button></div>` : html`<${Problem} error=${f.error} />`}
    <div class="row"><button type="submit" id="save-person" disabled=${f.busy}>${t('common.save')}</button>
      <button type="button" class="secondary" onClick=${cancel}>${t('common.cancel')}</button></div>
  </form>`;
}

// HandOver moves every account of p, with their pending requests, visit
// plans and greeting tasks, to another account manager (Art. 4, 20).
function HandOver({ p, staff, onStarted }) {
  const f = useForm({ to: '' });
  async function start(v) {
    onStarted(await post(`/v1/staff/${p.id}/handover`, { to: v.to }));
    f.setValues({ to: '' });
  }
  return html`<form class="card" id="handover-form" onSubmit=${(e) => f.submit(e, start)}>
    <h2>${t('staff.handover')}</h2>
    <p class="muted">${t('staff.handoverIntro', { name: p.name })}</p>
    <${Field} name="to" label=${t('staff.handoverTo')} value=${f.values.to} onInput=${f.set} error=${f.fields} required
      options=${[['', '—'], ...managers(staff, p).map((s) => [s.id, s.name])]} />
    <${Problem} error=${f.error} />
    <button type="submit" id="submit-handover" disabled=${f.busy || !f.values.to}>${t('staff.handoverSubmit')}</button>
  </form>`;
}

// HandoverProgress follows a handover's run until it is done or failed,
// and says what moved.
function HandoverProgress({ h: first, staff, me }) {
  const [h, setH] = useState(first);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (h.status !== 'running') return undefined;
    const id = setTimeout(async () => {
      try { setH(await get(`/v1/staff/${h.from_staff_id}/handovers/${h.id}`)); } catch (e) { setError(e); }
    }, 1000);
    return () => clearTimeout(id);
  }, [h]);
  return html`<section class="card" id="handover" aria-live="polite">
    <h2>${t('staff.handoverOf', { from: staffName(staff, h.from_staff_id, me), to: staffName(staff, h.to_staff_id, me) })}</h2>
    <p>${badge('handover', h.status, 'handover-state')}</p>
    <dl class="fields">
      <div><dt>${t('staff.accountsMoved')}</dt><dd id="accounts-moved">${h.accounts_moved}</dd></div>
      <div><dt>${t('staff.requestsMoved')}</dt><dd>${h.requests_moved}</dd></div>
      <div><dt>${t('staff.greetingsMoved')}</dt><dd>${h.greetings_moved}</dd></div>
      <div><dt>${t('staff.batches')}</dt><dd>${h.batches}</dd></div>
      ${h.reason ? html`<div><dt>${t('staff.failedBecause')}</dt><dd>${h.reason}</dd></div>` : ''}
      <div><dt>${t('common.when')}</dt><dd>${fmtTime(h.created_at)}${h.finished_at ? ` – ${fmtTime(h.finished_at)}` : ''}</dd></div>
    </dl>
    <${Problem} error=${error} />
  </section>`;
}

// Tokens lists a person's tokens (never a secret), issues one (admin),
// showing its secret this once, and revokes one.
function Tokens({ p, me }) {
  const paged = usePaged(`/v1/staff/${p.id}/tokens?limit=50`);
  const f = useForm({ expires_at: '' });
  const [secret, setSecret] = useState(null);
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState(null);
  async function issue(v) {
    const exp = v.expires_at ? new Date(v.expires_at).toISOString() : undefined;
    const tok = await post(`/v1/staff/${p.id}/tokens`, exp ? { expires_at: exp } : {});
    setSecret(tok);
    setCopied(false);
    f.setValues({ expires_at: '' });
    paged.reload();
  }
  async function revoke(x) {
    if (!confirm(t('tokens.confirmRevoke'))) return;
    setError(null);
    try { await request('DELETE', `/v1/staff/${p.id}/tokens/${x.id}`); paged.reload(); } catch (e) { setError(e); }
  }
  async function copy() {
    try {
      await navigator.clipboard.writeText(secret.token);
      setCopied(true);
    } catch {
      const el = document.getElementById('token-secret');
      if (el) window.getSelection().selectAllChildren(el);
    }
  }
  return html`<section class="card" id="tokens" aria-labelledby="tokens-h">
    <h2 id="tokens-h">${t('tokens.title')}</h2>
    ${secret ? html`<div class="secret" id="new-token" role="status">
      <p><strong>${t('tokens.issued')}</strong> ${t('tokens.once')}</p>
      <p><code id="token-secret">${secret.token}</code></p>
      <div class="row"><button type="button" id="copy-token" onClick=${copy}>${copied ? t('tokens.copied') : t('tokens.copy')}</button>
        <button type="button" class="secondary" id="token-done" onClick=${() => setSecret(null)}>${t('tokens.done')}</button></div>
    </div>` : ''}
    <${Problem} error=${error} />
    <${Paged} paged=${paged}>${(items) => html`<${Table} rows=${items} empty=${t('tokens.none')} cols=${[
      [t('tokens.id'), (x) => html`<code title=${x.id}>${x.id.slice(0, 8)}</code>`],
      [t('tokens.created'), (x) => fmtTime(x.created_at)],
      [t('tokens.expires'), (x) => (x.expires_at ? fmtTime(x.expires_at) : t('tokens.never'))],
      [t('tokens.lastUsed'), (x) => fmtTime(x.last_used_at)],
      [t('field.status'), (x) => (x.revoked_at ? html`${badge('token', 'revoked')} ${fmtTime(x.revoked_at)}`
        : x.expires_at && new Date(x.expires_at) < new Date() ? badge('token', 'expired') : badge('token', 'valid'))],
      ['', (x) => (!x.revoked_at ? html`<button type="button" class="secondary small token-revoke" data-token=${x.id} onClick=${() => revoke(x)}>${t('tokens.revoke')}</button>` : '')],
    ]} />`}<//>
    ${may(me.role, 'manageStaff') ? html`<form class="subform" id="token-form" onSubmit=${(e) => f.submit(e, issue)}>
      <h3>${t('tokens.issue')}</h3>
      <${Field} name="expires_at" type="datetime-local" label=${t('tokens.expires')} value=${f.values.expires_at} onInput=${f.set}
        error=${f.fields} hint=${t('tokens.expiresHint')} />
      <${Problem} error=${f.error} />
      <button type="submit" id="issue-token" disabled=${f.busy || !p.active}>${t('tokens.issue')}</button>
      ${!p.active ? html` <small class="muted">${t('tokens.inactive')}</small>` : ''}
    </form>` : ''}
  </section>`;
}
