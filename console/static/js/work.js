// My work: GET /v1/me/tasks (SPEC §7), soonest first, each opening the
// screen to act on it; then the inbox (GET /v1/me/notifications).
import { html, useLoad, Loaded, Table, Countdown, fmtTime, usePaged, Paged, Problem, useState } from './ui.js';
import { get, post, qs, all, ApiError } from './api.js';
import { t, te } from './i18n.js';
import { may } from './roles.js';

// screenOf turns a task's API link into the console screen that acts on it.
export function screenOf(link) {
  const m = /^\/v1\/([a-z-]+)\/([^/?]+)/.exec(link || '');
  if (!m) return '#/work';
  const [, kind, id] = m;
  switch (kind) {
    case 'discount-requests': return `#/discounts/${id}`;
    case 'filings': return '#/discounts/filings';
    case 'tickets': return `#/tickets/${id}`;
    case 'customers': {
      if (/\/(statements|charges|payments|credit)/.test(link)) return `#/accounts/${id}/credit`;
      if (/\/visits/.test(link)) return `#/accounts/${id}/visits`;
      return `#/accounts/${id}`;
    }
    case 'greetings': return '#/work';
    default: return '#/work';
  }
}

// tasks reads /v1/me/tasks; a server without that route (404 on the route
// itself) falls back to the lists that show the same work.
async function tasks(me) {
  try {
    return { items: await all('/v1/me/tasks'), fallback: false };
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404) throw e;
  }
  const items = [];
  if (may(me.role, 'decideDiscount')) {
    const reqs = await all('/v1/discount-requests' + qs({ awaiting: 'me', state: 'pending' }));
    for (const r of reqs) {
      if (r.requester_id === me.id) continue;
      if (me.role === 'general_manager' && r.stage !== 'general_manager' && !r.escalated) continue;
      if (me.role === 'ka_manager' && r.stage !== 'ka_department') continue;
      items.push({ kind: 'discount_decision', due_at: r.deadline, customer_id: r.customer_id,
        title: t('work.discountTitle', { rate: r.rate, category: r.product_category }), link: `/v1/discount-requests/${r.id}` });
    }
  }
  if (may(me.role, 'acknowledgeFiling')) {
    for (const f of await all('/v1/filings?unacknowledged=true')) {
      items.push({ kind: 'filing_acknowledgement', due_at: null, customer_id: f.customer_id,
        title: t('work.filingTitle', { rate: f.rate, category: f.product_category }), link: `/v1/filings/${f.id}/acknowledge` });
    }
  }
  items.sort((a, b) => (a.due_at || '9999').localeCompare(b.due_at || '9999'));
  return { items, fallback: true };
}

export function Work({ me }) {
  const load = useLoad(() => tasks(me), [me.id]);
  return html`<h1>${t('work.title')}</h1>
    <section aria-labelledby="tasks-h" class="card">
      <h2 id="tasks-h">${t('work.tasks')}</h2>
      <${Loaded} load=${load}>${(d) => html`
        ${d.fallback ? html`<p class="muted small">${t('work.fallback')}</p>` : ''}
        <${Table} empty=${t('work.empty')} rows=${d.items} cols=${[
          [t('work.kind'), (x) => te('task', x.kind)],
          [t('work.what'), (x) => html`<a class="task" href=${screenOf(x.link)}>${x.title}</a>`],
          [t('work.due'), (x) => (x.due_at ? html`<${Countdown} to=${x.due_at} />` : '—')],
        ]} />`}<//>
    </section>
    <${Inbox} />`;
}

function Inbox() {
  const [unread, setUnread] = useState(true);
  const paged = usePaged('/v1/me/notifications' + qs({ unread: unread ? 'true' : '' }));
  const [error, setError] = useState(null);
  async function read(n) {
    try {
      await post(`/v1/me/notifications/${n.id}/read`);
      paged.reload();
    } catch (e) { setError(e); }
  }
  return html`<section aria-labelledby="inbox-h" class="card">
    <h2 id="inbox-h">${t('work.inbox')}</h2>
    <label class="inline"><input type="checkbox" checked=${unread} onChange=${(e) => setUnread(e.target.checked)} /> ${t('work.unreadOnly')}</label>
    <${Problem} error=${error} />
    <${Paged} paged=${paged}>${(items) => html`<${Table} rows=${items} empty=${t('work.inboxEmpty')} cols=${[
      [t('common.when'), (n) => fmtTime(n.created_at)],
      [t('work.notice'), (n) => html`<strong>${n.title}</strong><br />${n.body}
        ${n.customer_id ? html` <a href=${'#/accounts/' + n.customer_id}>${t('work.openAccount')}</a>` : ''}`],
      ['', (n) => (n.read_at ? t('work.read') : html`<button type="button" class="secondary small" onClick=${() => read(n)}>${t('work.markRead')}</button>`)],
    ]} />`}<//>
  </section>`;
}
