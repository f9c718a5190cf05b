// The console's shell: sign-in, who am I, language, navigation, routing.
import { render } from '../vendor/htm-3.1.1/preact-standalone.module.js';
import { html, useState, useEffect, Problem, Field } from './ui.js';
import { session, get, ApiError } from './api.js';
import { t, te, load, preferred, languages, lang } from './i18n.js';
import { may } from './roles.js';
import { Work } from './work.js';
import { Accounts, Account } from './accounts.js';
import { Discounts } from './discounts.js';
import { Tickets } from './tickets.js';
import { Credit } from './credit.js';
import { Reports } from './reports.js';
import { Audit } from './audit.js';
import { Delegations } from './delegations.js';
import { People } from './people.js';
import { TierReviews } from './tiers.js';

function useHash() {
  const [hash, setHash] = useState(location.hash || '#/work');
  useEffect(() => {
    const on = () => setHash(location.hash || '#/work');
    window.addEventListener('hashchange', on);
    // The effect runs after the first paint: a link followed, or a hash
    // set, right after sign-in changed the hash before anyone listened.
    on();
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash.replace(/^#\/?/, '').split('?')[0].split('/').filter(Boolean);
}

const screens = [
  ['work', null],
  ['accounts', 'accounts'],
  ['discounts', 'discounts'],
  ['tickets', 'tickets'],
  ['credit', 'creditOverview'],
  ['reports', 'reports'],
  ['audit', 'inspections'],
  ['tier-reviews', 'tierReviews'],
  ['delegations', 'delegations'],
  ['people', 'people'],
];

function SignIn({ onSignedIn }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    session.set(token.trim());
    try {
      onSignedIn(await get('/v1/me'));
    } catch (err) {
      session.clear();
      setError(err instanceof ApiError ? err : new ApiError(0, { detail: String(err) }));
    } finally {
      setBusy(false);
    }
  }
  return html`<main id="main" class="signin">
    <h1>${t('app.title')}</h1>
    <p>${t('signin.intro')}</p>
    <form onSubmit=${submit} class="card" aria-labelledby="signin-h">
      <h2 id="signin-h">${t('signin.title')}</h2>
      <${Field} name="token" label=${t('signin.token')} type="password" value=${token} autocomplete="off"
        onInput=${(_, v) => setToken(v)} required hint=${t('signin.hint')} />
      <${Problem} error=${error} />
      <button type="submit" disabled=${busy || !token.trim()}>${t('signin.submit')}</button>
    </form>
  </main>`;
}

function LanguageSwitch({ onChange }) {
  return html`<label class="lang"><span class="sr-only">${t('app.language')}</span>
    <select id="lang" aria-label=${t('app.language')} value=${lang()} onChange=${(e) => onChange(e.target.value)}>
      ${languages.map(([code, name]) => html`<option value=${code}>${name}</option>`)}
    </select></label>`;
}

function Shell({ me, onSignOut, onLanguage }) {
  const path = useHash();
  const [menu, setMenu] = useState(false);
  const screen = path[0] || 'work';
  const visible = screens.filter(([, need]) => !need || may(me.role, need) || (need === 'creditOverview' && may(me.role, 'ledger')));
  useEffect(() => setMenu(false), [path.join('/')]);
  return html`<a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById('main').focus(); }}>${t('app.skip')}</a>
  <header class="top">
    <a class="brand" href="#/work">${t('app.title')}</a>
    <button type="button" class="menu-toggle secondary" aria-expanded=${menu} aria-controls="nav" onClick=${() => setMenu(!menu)}>${t('app.menu')}</button>
    <nav id="nav" class=${menu ? 'open' : ''} aria-label=${t('app.nav')}>
      ${visible.map(([k]) => html`<a href=${'#/' + k} id=${'nav-' + k} aria-current=${k === screen ? 'page' : undefined}>${t('nav.' + k)}</a>`)}
    </nav>
    <div class="who">
      <span id="whoami" title=${me.id}>${me.name} · ${te('role', me.role)}</span>
      <${LanguageSwitch} onChange=${onLanguage} />
      <button type="button" id="signout" class="secondary" onClick=${onSignOut}>${t('app.signout')}</button>
    </div>
  </header>
  <main id="main" tabindex="-1">${route(screen, path.slice(1), me)}</main>`;
}

function route(screen, rest, me) {
  switch (screen) {
    case 'accounts':
      return rest[0] ? html`<${Account} key=${rest[0]} id=${rest[0]} tab=${rest[1] || 'profile'} me=${me} />` : html`<${Accounts} me=${me} />`;
    case 'discounts': return html`<${Discounts} me=${me} path=${rest} />`;
    case 'tickets': return html`<${Tickets} me=${me} path=${rest} />`;
    case 'credit': return html`<${Credit} me=${me} />`;
    case 'reports': return html`<${Reports} me=${me} />`;
    case 'audit': return html`<${Audit} me=${me} path=${rest} />`;
    case 'tier-reviews': return html`<${TierReviews} me=${me} path=${rest} />`;
    case 'delegations': return html`<${Delegations} me=${me} />`;
    case 'people': return html`<${People} me=${me} path=${rest} />`;
    default: return html`<${Work} me=${me} />`;
  }
}

function App() {
  const [ready, setReady] = useState(false);
  const [me, setMe] = useState(null);
  const [, setLang] = useState('');
  async function language(l, remember) {
    setLang(await load(l, remember));
  }
  useEffect(() => {
    (async () => {
      await language(preferred());
      if (session.token()) {
        // A reload keeps the person's own language, as signing in chose it,
        // unless a language was picked here.
        try {
          const who = await get('/v1/me');
          if (!localStorage.getItem('kam.lang') && who.locale) await language(who.locale);
          setMe(who);
        } catch { session.clear(); }
      }
      setReady(true);
    })();
    const out = () => { session.clear(); setMe(null); };
    window.addEventListener('kam-unauthenticated', out);
    return () => window.removeEventListener('kam-unauthenticated', out);
  }, []);
  async function signedIn(who) {
    if (!localStorage.getItem('kam.lang') && who.locale) await language(who.locale);
    setMe(who);
    if (!location.hash) location.hash = '#/work';
  }
  function signOut() {
    session.clear();
    setMe(null);
    location.hash = '';
  }
  if (!ready) return html`<p class="muted">…</p>`;
  if (!me) {
    return html`<div class="signin-wrap"><div class="signin-lang"><${LanguageSwitch} onChange=${(l) => language(l, true)} /></div>
      <${SignIn} onSignedIn=${signedIn} /></div>`;
  }
  return html`<${Shell} me=${me} onSignOut=${signOut} onLanguage=${(l) => language(l, true)} />`;
}

render(html`<${App} />`, document.getElementById('app'));
