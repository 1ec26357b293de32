// Server-Sent Events with the caller's token and a visible connection state.
import { withAccessToken } from './auth.js';

/**
 * Follow an SSE stream. `events` are the event names to listen for (EventSource only reports
 * named events you ask for). The browser reconnects by itself and sends Last-Event-ID, so the
 * server replays what was missed. Returns { close }.
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

const STATE_TEXT = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  failed: 'Not connected',
  closed: 'Finished',
};

/** Show a stream's state in an element (text, not only colour). */
export function showState(el, state, texts = {}) {
  el.dataset.state = state;
  el.textContent = texts[state] ?? STATE_TEXT[state] ?? state;
}
