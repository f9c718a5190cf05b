// Tickets (Art. 16, 17): the hotline queue in the API's priority order with
// SLA countdowns, and a ticket's handling events.
import { html, useState, useLoad, Loaded, Field, useForm, Problem, Table, usePaged, Paged, fmtTime, badge, Countdown } from './ui.js';
import { get, post, qs } from './api.js';
import { t, te } from './i18n.js';
import { may } from './roles.js';

export function Tickets({ me, path }) {
  if (path[0]) return html`<${Ticket} key=${path[0]} id=${path[0]} me=${me} />`;
  return html`<h1>${t('tickets.title')}</h1><${Queue} />`;
}

function Queue() {
  const [status, setStatus] = useState('open');
  const paged = usePaged('/v1/tickets' + qs({ status, limit: 50 }));
  return html`<section class="card">
    <${Field} name="status" label=${t('field.status')} value=${status} onInput=${(_, v) => setStatus(v)}
      options=${[['open', te('ticket', 'open')], ['acknowledged', te('ticket', 'acknowledged')], ['resolved', te('ticket', 'resolved')], ['closed', te('ticket', 'closed')], ['', t('common.any')]]} />
    <p class="muted small">${t('tickets.order')}</p>
    <${Paged} paged=${paged}>${(items) => html`<${Table} rows=${items} empty=${t('tickets.empty')} cols=${[
      [t('ticket.priority'), (x) => x.priority],
      [t('ticket.subject'), (x) => html`<a href=${'#/tickets/' + x.id}>${x.subject}</a>`],
      [t('ticket.kind'), (x) => te('ticketKind', x.kind)],
      [t('field.status'), (x) => html`${badge('ticket', x.status)} ${x.escalated ? badge('flag', 'escalated') : ''}`],
      [t('ticket.respondBy'), (x) => (x.acknowledged_at ? '✓' : x.response_breached ? badge('flag', 'breached') : html`<${Countdown} to=${x.respond_by} />`)],
      [t('ticket.resolveBy'), (x) => (x.resolved_at ? '✓' : x.resolution_breached ? badge('flag', 'breached') : html`<${Countdown} to=${x.resolve_by} />`)],
    ]} />`}<//>
  </section>`;
}

function Ticket({ id, me }) {
  const load = useLoad(() => get(`/v1/tickets/${id}`), [id]);
  const events = usePaged(`/v1/tickets/${id}/events`);
  const f = useForm({ type: 'acknowledge', note: '' });
  async function add(v) {
    await post(`/v1/tickets/${id}/events`, v);
    f.set('note', '');
    load.reload();
    events.reload();
  }
  return html`<${Loaded} load=${load}>${(x) => html`<h1>${x.subject}</h1>
    <section class="card">
      <p>${badge('ticket', x.status)} ${te('ticketKind', x.kind)} · ${t('ticket.priority')} ${x.priority} ${x.escalated ? badge('flag', 'escalated') : ''}</p>
      <p>${x.body}</p>
      <dl class="fields">
        <div><dt>${t('ticket.respondBy')}</dt><dd>${fmtTime(x.respond_by)} ${x.acknowledged_at ? '' : html`<${Countdown} to=${x.respond_by} />`}</dd></div>
        <div><dt>${t('ticket.resolveBy')}</dt><dd>${fmtTime(x.resolve_by)} ${x.resolved_at ? '' : html`<${Countdown} to=${x.resolve_by} />`}</dd></div>
        <div><dt>${t('discounts.account')}</dt><dd><a href=${'#/accounts/' + x.customer_id}>${t('work.openAccount')}</a></dd></div>
      </dl>
      <h2>${t('tickets.events')}</h2>
      <${Paged} paged=${events}>${(items) => html`<${Table} rows=${items} cols=${[
        [t('common.when'), (e) => fmtTime(e.at)], [t('ticket.event'), (e) => te('ticketEvent', e.type)], [t('ticket.note'), (e) => e.note || '—'],
      ]} />`}<//>
      ${may(me.role, 'handleTickets') ? html`<form class="subform" onSubmit=${(e) => f.submit(e, add)}>
        <h3>${t('tickets.record')}</h3>
        <div class="grid"><${Field} name="type" label=${t('ticket.event')} value=${f.values.type} onInput=${f.set} error=${f.fields}
          options=${['acknowledge', 'note', 'resolve', 'close', 'reopen'].map((k) => [k, te('ticketEvent', k)])} />
        <${Field} name="note" label=${t('ticket.note')} value=${f.values.note} onInput=${f.set} error=${f.fields} /></div>
        <${Problem} error=${f.error} /><button type="submit" disabled=${f.busy}>${t('common.save')}</button></form>` : ''}
    </section>`}<//>`;
}
