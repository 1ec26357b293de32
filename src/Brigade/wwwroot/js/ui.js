// Shared pieces of the pages: the problem box, the page's navigation state.
import { h, replace } from './dom.js';
import { explain } from './api.js';
import { getToken, describeToken } from './auth.js';
import { loadAgain, retryText } from './live.js';

/**
 * Show an error in a notice element (role="alert" in the page). For 429/503 with Retry-After,
 * counts down and calls onRetryReady when the wait is over. Returns a function that clears it.
 */
export function showProblem(box, error, { onRetryReady, focus = true } = {}) {
  const { title, lines, retryAfter } = explain(error);
  box.className = 'notice error';
  const wait = h('p', { class: 'retry' });
  replace(box,
    h('p', {}, h('strong', { text: title })),
    lines.length === 1 ? h('p', { text: lines[0] }) : h('ul', {}, lines.map(l => h('li', { text: l }))),
    retryAfter != null ? wait : null);
  let timer = null;
  if (retryAfter != null) {
    const until = Date.now() + retryAfter * 1000;
    const tick = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left <= 0) {
        wait.textContent = 'You can try again now.';
        clearInterval(timer);
        onRetryReady?.();
      } else {
        wait.textContent = `You can try again in ${left} s.`;
      }
    };
    tick();
    timer = setInterval(tick, 1000);
  }
  if (focus) {
    box.tabIndex = -1;
    box.focus();
  }
  return () => {
    clearInterval(timer);
    box.replaceChildren();
    box.className = 'notice';
  };
}

export function showNotice(box, kind, ...content) {
  box.className = `notice ${kind}`;
  replace(box, ...content);
}

/**
 * A page's first load (loadAgain): while the server cannot be reached, the notice box says so and
 * when it tries again; the notice goes once the server answers. Rejects with an answer that is no
 * outage (404, 401, 403, …) for the page to show as it does today.
 */
export async function firstLoad(box, load) {
  let shown = null;
  try {
    return await loadAgain(load, {
      onWait: (error, retryMs) => {
        shown = h('p', { text: retryText(retryMs, error) });
        showNotice(box, 'warn', shown);
      },
    });
  } finally {
    // Only our own notice: the page may have shown something else there meanwhile.
    if (shown && box.firstChild === shown) {
      box.replaceChildren();
      box.className = 'notice';
    }
  }
}

/** Mark the current page in the main navigation and show who is signed in. */
export function initNav() {
  const here = location.pathname === '/' ? '/index.html' : location.pathname;
  for (const a of document.querySelectorAll('header.site nav a')) {
    const target = new URL(a.href).pathname;
    if (target === here || (target === '/' && here === '/index.html')) a.setAttribute('aria-current', 'page');
  }
  const signin = document.querySelector('[data-signin]');
  if (signin) {
    const token = getToken();
    const info = token ? describeToken(token) : null;
    signin.textContent = token ? `Signed in${info?.subject ? ` (${info.subject})` : ''}` : 'Sign in';
  }
}
