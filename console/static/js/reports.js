// Reports (Art. 8, 22) as charts with their tables and CSV downloads:
// product structure and its monthly trend, KA revenue share, churn by
// reason, the staff scorecard.
import { html, useState, useLoad, Loaded, Field, Problem, Table } from './ui.js';
import { get, qs, download } from './api.js';
import { t, te } from './i18n.js';
import { may } from './roles.js';
import { Bars, Lines } from './chart.js';

const yearStart = () => `${new Date().getFullYear()}-01-01`;

export function Reports({ me }) {
  const [period, setPeriod] = useState({ from: yearStart(), to: new Date().toISOString().slice(0, 10) });
  const [error, setError] = useState(null);
  const set = (k, v) => setPeriod((o) => ({ ...o, [k]: v }));
  const csv = (path, name) => download(path + qs({ ...period, format: 'csv' }), name).catch(setError);
  const team = may(me.role, 'teamReports');
  return html`<h1>${t('reports.title')}</h1>
    <form class="card filters" onSubmit=${(e) => e.preventDefault()}>
      <${Field} name="from" type="date" label=${t('reports.from')} value=${period.from} onInput=${set} />
      <${Field} name="to" type="date" label=${t('reports.to')} value=${period.to} onInput=${set} />
    </form>
    <${Problem} error=${error} />
    <${Overview} period=${period} csv=${csv} />
    ${team ? html`<${Churn} period=${period} csv=${csv} /><${StaffScores} period=${period} csv=${csv} />` : ''}`;
}

function CSV({ onClick }) {
  return html`<button type="button" class="secondary small" onClick=${onClick}>${t('reports.csv')}</button>`;
}

function Overview({ period, csv }) {
  const load = useLoad(() => get('/v1/reports/overview' + qs(period)), [period.from, period.to]);
  return html`<${Loaded} load=${load}>${(r) => {
    const cats = r.category_structure || [];
    const trend = r.monthly_trend || [];
    const months = [...new Set(trend.map((m) => m.month))];
    const names = [...new Set(trend.map((m) => m.product_category))];
    const series = names.map((n) => ({ label: n, values: months.map((m) => (trend.find((x) => x.month === m && x.product_category === n) || { amount: 0 }).amount) }));
    return html`<section class="card" aria-labelledby="ov-h">
      <h2 id="ov-h">${t('reports.overview')} <${CSV} onClick=${() => csv('/v1/reports/overview', 'overview.csv')} /></h2>
      <div class="kpis">
        <div><span>${t('reports.accounts')}</span><strong>${r.accounts_at_end}</strong></div>
        <div><span>${t('reports.added')}</span><strong>${r.added}</strong></div>
        <div><span>${t('reports.churned')}</span><strong>${r.churned}</strong></div>
        <div><span>${t('reports.kaRevenue')}</span><strong>${r.ka_revenue}</strong></div>
        <div><span>${t('reports.satisfaction')}</span><strong>${r.avg_satisfaction ?? '—'}</strong></div>
      </div>
      <h3>${t('reports.kaShare')}</h3>
      ${r.ka_share == null ? html`<p class="muted">${t('reports.noCompanyRevenue')}</p>` : html`<p class="share">
        <meter id="ka-share" min="0" max="100" value=${r.ka_share} aria-label=${t('reports.kaShare')}>${r.ka_share}%</meter>
        <strong>${r.ka_share}%</strong> ${t('reports.ofCompany', { revenue: r.company_revenue })}</p>`}
      <h3>${t('reports.structure')}</h3>
      ${cats.length ? html`<${Bars} id="chart-structure" title=${t('reports.structure')} labels=${cats.map((c) => c.product_category)}
        series=${[{ label: t('sale.amount'), values: cats.map((c) => c.amount) }]} />` : ''}
      <${Table} rows=${cats} cols=${[[t('field.product_category'), (c) => c.product_category], [t('sale.amount'), (c) => c.amount], [t('reports.share'), (c) => c.share + '%']]} />
      <h3>${t('reports.trend')}</h3>
      ${months.length ? html`<${Lines} id="chart-trend" title=${t('reports.trend')} months=${months} series=${series} />` : html`<p class="muted">${t('common.none')}</p>`}
      <h3>${t('reports.byTier')}</h3>
      <${Table} rows=${r.by_tier || []} cols=${[[t('field.tier'), (x) => x.tier], [t('reports.accounts'), (x) => x.accounts]]} />
    </section>`;
  }}<//>`;
}

function Churn({ period, csv }) {
  const load = useLoad(() => get('/v1/reports/churn' + qs(period)), [period.from, period.to]);
  return html`<${Loaded} load=${load}>${(r) => {
    const rows = r.items || [];
    const reasons = [...new Set(rows.map((x) => x.reason))];
    const counts = reasons.map((re) => rows.filter((x) => x.reason === re).reduce((n, x) => n + x.accounts, 0));
    return html`<section class="card" aria-labelledby="churn-h">
      <h2 id="churn-h">${t('reports.churn')} <${CSV} onClick=${() => csv('/v1/reports/churn', 'churn.csv')} /></h2>
      ${reasons.length ? html`<${Bars} id="chart-churn" title=${t('reports.churn')} labels=${reasons.map((x) => te('churn', x))}
        series=${[{ label: t('reports.accounts'), values: counts }]} />` : ''}
      <${Table} rows=${rows} cols=${[[t('reports.reason'), (x) => te('churn', x.reason)], [t('reports.accounts'), (x) => x.accounts],
        [t('reports.revenueLost'), (x) => x.revenue_lost], [t('reports.destination'), (x) => x.destination || x.competitor || '—']]} />
    </section>`;
  }}<//>`;
}

function StaffScores({ period, csv }) {
  const load = useLoad(() => get('/v1/reports/staff' + qs(period)), [period.from, period.to]);
  return html`<${Loaded} load=${load}>${(r) => {
    const rows = r.items || [];
    return html`<section class="card" aria-labelledby="staff-h">
      <h2 id="staff-h">${t('reports.staff')} <${CSV} onClick=${() => csv('/v1/reports/staff', 'staff.csv')} /></h2>
      ${rows.length ? html`<${Bars} id="chart-staff" title=${t('reports.staff')} labels=${rows.map((x) => x.name)}
        series=${[{ label: t('reports.revenue'), values: rows.map((x) => x.revenue) }, { label: t('reports.budget'), values: rows.map((x) => x.budget) }]} />` : ''}
      <${Table} rows=${rows} cols=${[[t('field.name'), (x) => x.name], [t('reports.accounts'), (x) => x.accounts], [t('reports.revenue'), (x) => x.revenue],
        [t('reports.budget'), (x) => x.budget], [t('reports.collected'), (x) => x.collected], [t('reports.overdueShare'), (x) => (x.overdue_share ?? '—')],
        [t('reports.visits'), (x) => `${x.visits_on_time} / ${x.visits_missed}`], [t('reports.sla'), (x) => (x.ticket_sla_met ?? '—')],
        [t('reports.findings'), (x) => x.inspection_findings]]} />
    </section>`;
  }}<//>`;
}
