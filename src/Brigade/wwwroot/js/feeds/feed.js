// Live feeds for the admin pages. A feed is a small module describing where its data comes from
// and how to show it; this runner fetches it, follows its stream, and shows an honest state when
// the server does not publish it yet (404), when the caller may not see it (401/403), or when the
// server cannot be reached (then it tries again by itself).
//
// A feed module's default export:
//   id, title, description
//   url                      GET: the current data (404 → "not available yet")
//   load(api)?               instead of url, when the data takes more than one request
//   stream?: { url, events } SSE with the same shape as the GET answer (optional)
//   refreshSeconds?          without a stream: fetch again this often while the page is visible
//   render(body, data, ctx)  draw it (ctx.map is the page's city map, where there is one)
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { followAgain, loadAgain, retryText, unreachable } from '../live.js';
import { clock } from '../format.js';

export function mountFeed(feed, host, ctx = {}) {
  const headingId = `feed-${feed.id}`;
  const state = h('p', { class: 'feed-state muted', role: 'status' }, 'Loading…');
  const body = h('div', { class: 'feed-body' });
  const section = h('section', { class: 'card feed stack', 'data-feed': feed.id, 'aria-labelledby': headingId, 'data-state': 'loading' },
    h('h2', { id: headingId, text: feed.title }),
    feed.description ? h('p', { class: 'small muted', text: feed.description }) : null,
    state,
    body);
  host.append(section);

  const setState = (name, ...content) => {
    section.dataset.state = name;
    replace(state, ...content);
  };

  const draw = data => {
    try {
      feed.render(body, data, ctx);
    } catch (e) {
      setState('error', `This feed sent something the page cannot show: ${e.message}`);
    }
  };

  let timer = null;
  let outage = null; // why the last load failed, while the server cannot be reached
  const get = () => (feed.load ? feed.load(api) : api(feed.url));
  const show = data => {
    draw(data);
    if (!feed.stream) setState('loaded', `Updated at ${clock(new Date().toISOString())}.`);
  };
  const showFailure = e => {
    if (e.status === 404) {
      setState('unavailable', h('strong', {}, 'Not available yet: '),
        `this server does not publish ${feed.title.toLowerCase()} (`, h('code', { text: `GET ${feed.url}` }), ' answered 404).');
    } else if (e.status === 401 || e.status === 403) {
      setState('signin', 'Sign in as an administrator to see this. ', h('a', { href: '/signin.html' }, 'Sign in'));
    } else if (unreachable(e) && feed.refreshSeconds && !feed.stream) {
      // A feed fetched on a timer keeps what it showed and tries again at its next refresh.
      setState('waiting', retryText(feed.refreshSeconds * 1000, e));
    } else {
      setState('error', e.message);
    }
  };
  const load = async () => {
    outage = null;
    try {
      show(await get());
      return true;
    } catch (e) {
      if (unreachable(e)) outage = e;
      showFailure(e);
      return false;
    }
  };

  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      if (document.visibilityState === 'visible') await load();
      refresh();
    }, feed.refreshSeconds * 1000);
  };

  (async () => {
    // The first load: while the server cannot be reached, say so and try again (2 s, 4 s, … 30 s).
    try {
      show(await loadAgain(get, { onWait: (e, retryMs) => setState('waiting', retryText(retryMs, e)) }));
    } catch (e) {
      showFailure(e);
      return;
    }
    if (feed.stream) {
      followAgain(feed.stream.url, {
        events: feed.stream.events,
        onMessage: (_, data) => draw(data),
        onState: (s, { retryMs } = {}) => setState(s, retryMs != null
          ? retryText(retryMs, outage)
          : { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', failed: 'Live updates stopped.', closed: 'Closed.' }[s] ?? s),
        // Refused (a gateway's 502 while the server is down ends an EventSource for good): fetch the
        // data again, which says why; follow again unless it is gone or not for this caller.
        onRefused: async () => (await load()) || outage !== null,
      });
    } else if (feed.refreshSeconds) {
      refresh();
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'visible') load();
      });
    }
  })();
  return section;
}

/** A small table from rows of plain values. */
export function table(caption, columns, rows) {
  return h('div', { class: 'table-scroll' },
    h('table', {},
      h('caption', { class: 'visually-hidden', text: caption }),
      h('thead', {}, h('tr', {}, columns.map(c => h('th', { scope: 'col', text: c })))),
      h('tbody', {}, rows.map(r => h('tr', {}, r.map(v => h('td', {}, v ?? '')))))));
}

/** The list in an answer that is either a list or an object holding one under `key`. */
export const listOf = (data, key) => (Array.isArray(data) ? data : Array.isArray(data?.[key]) ? data[key] : []);
