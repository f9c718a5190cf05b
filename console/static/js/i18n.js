// Two catalogs (i18n/en.json, i18n/zh-CN.json) with the same keys; a Go
// test keeps them in step. The choice is a preference kept in localStorage.
import { setLanguage } from './api.js';

export const languages = [['en', 'English'], ['zh-CN', '简体中文']];
let catalog = {};
let current = 'en';

export function preferred() {
  const saved = localStorage.getItem('kam.lang');
  if (saved) return saved;
  return (navigator.language || '').toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

export async function load(lang, remember) {
  if (!languages.some(([l]) => l === lang)) lang = 'en';
  const res = await fetch(`i18n/${lang}.json`);
  catalog = await res.json();
  current = lang;
  setLanguage(lang);
  document.documentElement.lang = lang;
  document.title = catalog['app.title'] || 'kam';
  if (remember) localStorage.setItem('kam.lang', lang);
  return lang;
}

export const lang = () => current;

// t looks a key up and fills {name} placeholders.
export function t(key, params) {
  let s = catalog[key];
  if (s === undefined) return key;
  if (params) for (const [k, v] of Object.entries(params)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

// te names an enum value (state.pending, role.finance …), or shows it as is.
export function te(group, value) {
  if (value === null || value === undefined || value === '') return '—';
  const s = catalog[`${group}.${value}`];
  return s === undefined ? String(value) : s;
}
