// A document for the page's modules under `node --test` (no browser): jsdom's window,
// document, Node and localStorage installed as globals before a module of web/ is imported.
import { JSDOM } from 'jsdom';

/** Installs a fresh jsdom window (URL http://localhost/, so localStorage works) as the globals. */
export function installDom(html = '<!doctype html><html lang="zh-CN"><head></head><body></body></html>') {
  const dom = new JSDOM(html, { url: 'http://localhost/', pretendToBeVisual: true });
  const { window } = dom;
  for (const name of ['window', 'document', 'Node', 'HTMLElement', 'Element', 'localStorage', 'sessionStorage', 'getComputedStyle']) {
    Object.defineProperty(globalThis, name, { value: name === 'window' ? window : window[name], configurable: true, writable: true });
  }
  return dom;
}
