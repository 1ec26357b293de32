// Server-Sent Events with the caller's token and a visible connection state.
import { withAccessToken } from './auth.js';

/**
 * Follow an SSE stream. `events` are the event names to listen for (EventSource only reports
 * named events you ask for). The browser reconnects by itself and sends Last-Event-ID, so the
 * server replays what was missed, but never after an error status ('failed'): see followAgain.
 * Returns { close }.
 *
 * onMessage(name, data, lastEventId); onState('connecting' | 'live' | 'reconnecting' | 'failed' | 'closed').
 */
export function follow(path, { events, onMessage, onState = () => {} }) {
  const source = new EventSource(withAccessToken(path));
  let closed = false;
  onState('connecting');
  source.addEventListener('open', () => onState('live'));
  source.addEventListener('error', () => {
    if (closed) return;
    // CLOSED: the server refused (404, 401, …) and the browser will not retry.
    if (source.readyState === EventSource.CLOSED) {
      closed = true;
      onState('failed');
    } else {
      onState('reconnecting');
    }
  });
  const handler = e => {
    let data = null;
    try {
      data = JSON.parse(e.data);
    } catch {
      return;
    }
    onMessage(e.type, data, e.lastEventId);
  };
  for (const name of events) source.addEventListener(name, handler);
  return {
    close() {
      if (closed) return;
      closed = true;
      source.close();
      onState('closed');
    },
  };
}

// After a refused stream, or a load the server did not answer, try again in 2 s, then 4, 8, … up to 30 s.
const PAUSE_FIRST_MS = 2000;
const PAUSE_MAX_MS = 30_000;

/** The pauses between tries: next() is 2 s, then twice the last, up to 30 s; reset() starts over. */
function pauses() {
  let ms = PAUSE_FIRST_MS;
  return {
    next() {
      const now = ms;
      ms = Math.min(PAUSE_MAX_MS, ms * 2);
      return now;
    },
    reset() {
      ms = PAUSE_FIRST_MS;
    },
  };
}

/** Whether an API error means the server could not be reached (the network, a gateway's 502), not an answer about what was asked. */
export const unreachable = error => error?.status === 0 || error?.status >= 500;

/**
 * A page's first load: `load()`, and again while the server cannot be reached (see unreachable),
 * after 2 s, 4 s, … up to 30 s, calling onWait(error, retryMs) before each pause. Resolves with
 * what load() resolves with; rejects with the first error that is an answer (404, 401, 403, …),
 * which is not tried again.
 */
export async function loadAgain(load, { onWait = () => {} } = {}) {
  const pause = pauses();
  for (;;) {
    try {
      return await load();
    } catch (e) {
      if (!unreachable(e)) throw e;
      const ms = pause.next();
      onWait(e, ms);
      await new Promise(resolve => setTimeout(resolve, ms));
    }
  }
}

/**
 * follow(), and follow again after a refusal. An error status (a gateway's 502 while the server is
 * down) ends an EventSource for good; then `onRefused()` asks why and resolves true to try again
 * (the server could not be reached, or let the page catch up by a plain request), false to stop
 * (what is followed is gone or finished, or the caller may not see it). The pause between tries
 * grows from 2 s to 30 s and starts over once the stream is live. While it waits, onState is
 * called with 'reconnecting' and { retryMs }. Returns { close }.
 */
export function followAgain(path, { events, onMessage, onState = () => {}, onRefused }) {
  const pause = pauses();
  let stream = null;
  let timer = null;
  let closed = false;
  let last = null;
  const state = (name, info) => {
    last = name;
    onState(name, info);
  };
  const open = () => {
    timer = null;
    stream = follow(path, {
      events,
      onMessage,
      onState: async name => {
        if (name === 'live') pause.reset();
        state(name);
        if (name !== 'failed' || closed) return;
        let again = false;
        try {
          again = await onRefused();
        } catch {
          // the page could not say why: stop rather than retry blindly
        }
        if (!again || closed) return;
        const retryMs = pause.next();
        state('reconnecting', { retryMs });
        timer = setTimeout(open, retryMs);
      },
    });
  };
  open();
  return {
    close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      stream.close();
      if (last !== 'closed') state('closed');
    },
  };
}

const STATE_TEXT = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  failed: 'Not connected',
  closed: 'Finished',
};

/**
 * Show a stream's state in an element (text, not only colour); `retryMs` from followAgain says when
 * it tries again, and `outage` the error that says the server cannot be reached, when it is so.
 */
export function showState(el, state, texts = {}, { retryMs, outage } = {}) {
  el.dataset.state = state;
  el.textContent = retryMs != null ? retryText(retryMs, outage) : texts[state] ?? STATE_TEXT[state] ?? state;
}

/**
 * "Cannot reach the server (Bad Gateway): trying again in 4 s…" when `outage`, the error of the
 * last request, says the server cannot be reached; "Not connected: trying again in 4 s…" otherwise.
 */
export const retryText = (ms, outage) => `${unreachable(outage) ? `Cannot reach the server${outage.title ? ` (${outage.title})` : ''}` : 'Not connected'}: trying again in ${Math.round(ms / 1000)} s…`;
