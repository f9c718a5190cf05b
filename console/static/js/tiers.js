// Tier reviews (Art. 2, 3): the KA Department grades every active account
// from its last twelve months of sales and decides each proposal; the GM
// and the auditor read them.
import { html, useState, useEffect, useLoad, Field, useForm, Problem, Table, usePaged, Paged, fmtDate, fmtTime, badge } from './ui.js';
import { get, post, qs, all } from './api.js';
import { t, te } from './i18n.js';
import { may } from './roles.js';

export function TierReviews({ me, path }) {
  if (path[0]) return html`<${Review} key=${path[0]} id=${path[0]} me=${me} />`;
  const paged = usePaged('/v1/tier-reviews?limit=25');
  return html`<h1>${t('tiers.title')}</h1>
    <p class="muted">${t('tiers.intro')}</p>
    ${may(me.role, 'reviewTiers') ? html`<${RunReview} />` : ''}
    <section class="card" id="tier-reviews">
      <${Paged} paged=${paged}>${(items) => html`<${Table} rows=${items} empty=${t('tiers.none')} cols=${[
        [t('tiers.asOf'), (r) => html`<a href=${'#/tier-reviews/' + r.id} class="review-link">${fmtDate(r.as_of)}</a>`],
        [t('tiers.period'), (r) => `${fmtDate(r.period_from)} – ${fmtDate(r.period_to)}`],
        [t('tiers.trigger'), (r) => te('trigger', r.trigger)],
        [t('tiers.graded'), (r) => r.graded],
        [t('tiers.proposals'), (r) => r.proposal_count],
        [t('tiers.pending'), (r) => r.pending_count],
        [t('field.status'), (r) => te('review', r.status)],
      ]} />`}<//>
    </section>`;
}

function RunReview() {
  const f = useForm({ as_of: '' });
  async function run(v) {
    const r = await post('/v1/tier-reviews', v.as_of ? { as_of: v.as_of } : {});
    location.hash = '#/tier-reviews/' + r.id;
  }
  return html`<form class="card" id="review-form" onSubmit=${(e) => f.submit(e, run)}>
    <h2>${t('tiers.run')}</h2>
    <${Field} name="as_of" type="date" label=${t('tiers.asOf')} value=${f.values.as_of} onInput=${f.set} error=${f.fields} hint=${t('tiers.asOfHint')} />
    <${Problem} error=${f.error} />
    <button type="submit" id="run-review" disabled=${f.busy}>${t('tiers.run')}</button>
  </form>`;
}

// Review shows a review and its proposals a page at a time
// (proposals_next_cursor), each decided where it stands.
function Review({ id, me }) {
  const [decision, setDecision] = useState('pending');
  const [st, set] = useState({ review: null, items: [], next: '', error: null });
  const [n, setN] = useState(0);
  async function page(cursor) {
    try {
      const r = await get(`/v1/tier-reviews/${id}` + qs({ decision, cursor, limit: 100 }));
      set((o) => ({ review: r, items: cursor ? [...o.items, ...(r.proposals || [])] : r.proposals || [], next: r.proposals_next_cursor || '', error: null }));
    } catch (error) {
      set((o) => ({ ...o, error }));
    }
  }
  useEffect(() => { page(''); }, [id, decision, n]);
  // The proposals name accounts by id: one list read names them.
  const accounts = useLoad(() => all('/v1/customers?status=active&limit=200', 10).catch(() => []), []);
  const account = (cid) => (accounts.data || []).find((c) => c.id === cid);
  const r = st.review;
  if (st.error && !r) return html`<h1>${t('tiers.review')}</h1><${Problem} error=${st.error} />`;
  if (!r) return html`<p class="muted">${t('common.loading')}</p>`;
  const decider = may(me.role, 'reviewTiers');
  return html`<p><a href="#/tier-reviews">${t('tiers.back')}</a></p>
    <h1>${t('tiers.review')} ${fmtDate(r.as_of)}</h1>
    <section class="card" id="review">
      <dl class="fields">
        <div><dt>${t('tiers.period')}</dt><dd>${fmtDate(r.period_from)} – ${fmtDate(r.period_to)}</dd></div>
        <div><dt>${t('tiers.graded')}</dt><dd>${r.graded}</dd></div>
        <div><dt>${t('tiers.proposals')}</dt><dd>${r.proposal_count}</dd></div>
        <div><dt>${t('tiers.pending')}</dt><dd id="pending-count">${r.pending_count}</dd></div>
        <div><dt>${t('tiers.trigger')}</dt><dd>${te('trigger', r.trigger)}</dd></div>
        <div><dt>${t('common.when')}</dt><dd>${fmtTime(r.finished_at || r.created_at)}</dd></div>
      </dl>
      <h2 class="spaced">${t('tiers.proposals')}</h2>
      <${Field} name="decision" label=${t('tiers.decision')} value=${decision} onInput=${(_, v) => setDecision(v)}
        options=${[['', t('common.any')], ...['pending', 'accepted', 'rejected'].map((d) => [d, te('proposal', d)])]} />
      <${Problem} error=${st.error} />
      <${Table} rows=${st.items} empty=${t('tiers.noProposals')} cols=${[
        [t('discounts.account'), (p) => { const c = account(p.customer_id);
          return html`<a href=${'#/accounts/' + p.customer_id}>${c ? `${c.code} · ${c.name}` : t('work.openAccount')}</a>`; }],
        [t('tiers.from'), (p) => p.from],
        [t('tiers.to'), (p) => (p.to === null ? html`<span class="badge proposal-out">${t('tiers.noLonger')}</span>` : p.to)],
        [t('tiers.revenue'), (p) => p.revenue_12m],
        [t('tiers.activeMonths'), (p) => p.active_months],
        [t('tiers.decision'), (p) => html`${badge('proposal', p.decision, 'proposal-state')}${p.comment ? html`<br /><small>${p.comment}</small>` : ''}`],
        ['', (p) => (decider && p.decision === 'pending' ? html`<${Decide} review=${r} p=${p} onDone=${() => setN((x) => x + 1)} />` : '')],
      ]} />
      ${st.next ? html`<button type="button" class="secondary" onClick=${() => page(st.next)}>${t('common.more')}</button>` : ''}
    </section>`;
}

function Decide({ review, p, onDone }) {
  const f = useForm({ comment: '' });
  const decide = (decision) => f.submit(null, async (v) => {
    await post(`/v1/tier-reviews/${review.id}/proposals/${p.customer_id}/decision`, { decision, comment: v.comment || undefined });
    onDone();
  });
  return html`<div class="proposal-decide" data-customer=${p.customer_id}>
    <${Field} name="comment" label=${t('discounts.comment')} value=${f.values.comment} onInput=${f.set} error=${f.fields} />
    <div class="row"><button type="button" class="small accept" disabled=${f.busy} onClick=${() => decide('accept')}>${t('tiers.accept')}</button>
      <button type="button" class="small danger reject" disabled=${f.busy} onClick=${() => decide('reject')}>${t('tiers.reject')}</button></div>
    <${Problem} error=${f.error} />
  </div>`;
}
