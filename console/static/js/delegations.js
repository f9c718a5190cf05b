// Delegations (SPEC §7 "Approvals and work", Art. 11, 12): a decider going
// on leave hands their approvals to a deputy for a while; the admin does it
// for anyone. The list is what the API shows the caller: the delegations
// they are party to, or all of them for the admin, the GM and the auditor.
import { html, useState, Loaded, Field, useForm, Problem, Table, usePaged, Paged, fmtTime, badge } from './ui.js';
import { request, post, qs } from './api.js';
import { t, te } from './i18n.js';
import { may } from './roles.js';
import { useStaff, staffName } from './people.js';

// Who decides approvals, and so may delegate or deputise (README
// "Approvals and work": another active ka_manager or general_manager).
const deciders = ['ka_manager', 'general_manager'];

// stateOf names where a delegation stands now.
export function stateOf(d, now = Date.now()) {
  if (d.ended_at) return 'ended';
  if (d.in_force) return 'in_force';
  return new Date(d.starts_at).getTime() > now ? 'upcoming' : 'expired';
}

// instant turns a datetime-local value (the user's clock) into RFC 3339.
export function instant(v) {
  if (!v) return undefined;
  const d = new Date(v);
  return isNaN(d.getTime()) ? v : d.toISOString();
}

export function Delegations({ me }) {
  const staff = useStaff(me);
  const [inForce, setInForce] = useState(false);
  const [party, setParty] = useState('');
  const paged = usePaged('/v1/delegations' + qs({ in_force: inForce ? 'true' : '', staff_id: party, limit: 25 }));
  const [error, setError] = useState(null);
  const name = (id) => staffName(staff.data, id, me);
  async function end(d) {
    if (!confirm(t('delegations.confirmEnd', { from: name(d.from_staff_id), to: name(d.to_staff_id) }))) return;
    setError(null);
    try {
      await request('DELETE', `/v1/delegations/${d.id}`);
      paged.reload();
    } catch (e) { setError(e); }
  }
  const mayEnd = (d) => !d.ended_at && new Date(d.ends_at).getTime() > Date.now()
    && (d.from_staff_id === me.id || may(me.role, 'delegateForAnyone'));
  const people = (staff.data || []).filter((s) => deciders.includes(s.role));
  return html`<h1>${t('delegations.title')}</h1>
    <p class="muted">${t('delegations.intro')}</p>
    ${may(me.role, 'delegate') ? html`<${NewDelegation} me=${me} staff=${staff} onCreated=${paged.reload} />` : ''}
    <section class="card" aria-labelledby="deleg-h" id="delegations">
      <h2 id="deleg-h">${may(me.role, 'seeAllDelegations') ? t('delegations.all') : t('delegations.mine')}</h2>
      <div class="filters">
        <label class="inline"><input type="checkbox" id="deleg-in-force" checked=${inForce} onChange=${(e) => setInForce(e.target.checked)} /> ${t('delegations.inForceOnly')}</label>
        ${may(me.role, 'seeAllDelegations') && people.length ? html`<${Field} name="staff_id" label=${t('delegations.party')} value=${party}
          onInput=${(_, v) => setParty(v)} options=${[['', t('common.any')], ...people.map((s) => [s.id, s.name])]} />` : ''}
      </div>
      <${Problem} error=${error} />
      <${Paged} paged=${paged}>${(items) => html`<${Table} rows=${items} empty=${t('delegations.none')} cols=${[
        [t('delegations.from'), (d) => html`<span class="deleg-from">${name(d.from_staff_id)}</span>`],
        [t('delegations.to'), (d) => html`<span class="deleg-to">${name(d.to_staff_id)}</span>`],
        [t('delegations.startsAt'), (d) => fmtTime(d.starts_at)],
        [t('delegations.endsAt'), (d) => fmtTime(d.ended_at || d.ends_at)],
        [t('delegations.reason'), (d) => d.reason || '—'],
        [t('field.status'), (d) => badge('delegation', stateOf(d), 'deleg-state')],
        ['', (d) => (mayEnd(d) ? html`<button type="button" class="secondary small deleg-end" data-id=${d.id} onClick=${() => end(d)}>${t('delegations.end')}</button>` : '')],
      ]} />`}<//>
    </section>`;
}

// NewDelegation: to whom (an active decider other than the delegator),
// from when (empty: now), until when, why; the admin also names whose.
function NewDelegation({ me, staff, onCreated }) {
  const forAnyone = may(me.role, 'delegateForAnyone');
  const f = useForm({ from_staff_id: forAnyone ? '' : me.id, to_staff_id: '', starts_at: '', ends_at: '', reason: '' });
  const [done, setDone] = useState(null);
  const active = (staff.data || []).filter((s) => s.active && deciders.includes(s.role));
  const from = f.values.from_staff_id;
  async function create(v) {
    const body = { to_staff_id: v.to_staff_id, ends_at: instant(v.ends_at), starts_at: instant(v.starts_at), reason: v.reason || undefined };
    if (forAnyone) body.from_staff_id = v.from_staff_id;
    const d = await post('/v1/delegations', body);
    setDone(d);
    f.setValues({ ...v, to_staff_id: '', starts_at: '', ends_at: '', reason: '' });
    onCreated();
  }
  const person = (s) => [s.id, `${s.name} · ${te('role', s.role)}`];
  return html`<form class="card" id="delegation-form" onSubmit=${(e) => f.submit(e, create)}>
    <h2>${t('delegations.new')}</h2>
    <${Loaded} load=${staff}>${() => html`<div class="grid">
      ${forAnyone ? html`<${Field} name="from_staff_id" label=${t('delegations.from')} value=${from} onInput=${f.set} error=${f.fields} required
        options=${[['', '—'], ...active.map(person)]} />` : ''}
      <${Field} name="to_staff_id" label=${t('delegations.deputy')} value=${f.values.to_staff_id} onInput=${f.set} error=${f.fields} required
        hint=${t('delegations.deputyHint')} options=${[['', '—'], ...active.filter((s) => s.id !== from).map(person)]} />
      <${Field} name="starts_at" type="datetime-local" label=${t('delegations.startsAt')} value=${f.values.starts_at} onInput=${f.set}
        error=${f.fields} hint=${t('delegations.startsHint')} />
      <${Field} name="ends_at" type="datetime-local" label=${t('delegations.endsAt')} value=${f.values.ends_at} onInput=${f.set}
        error=${f.fields} required />
    </div>`}<//>
    <${Field} name="reason" type="textarea" label=${t('delegations.reason')} value=${f.values.reason} onInput=${f.set} error=${f.fields} maxlength="500" />
    <${Problem} error=${f.error} />
    ${done ? html`<p class="ok" id="delegation-created" role="status">${t('delegations.created', {
      to: staffName(staff.data, done.to_staff_id, me), until: fmtTime(done.ends_at) })}</p>` : ''}
    <button type="submit" id="submit-delegation" disabled=${f.busy}>${t('delegations.submit')}</button>
  </form>`;
}
