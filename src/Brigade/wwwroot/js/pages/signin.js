// Sign-in: paste a token; it is kept in localStorage and sent with every request.
import { $, h, replace } from '../dom.js';
import { initNav } from '../ui.js';
import { getToken, setToken, clearToken, describeToken } from '../auth.js';

const state = $('#state');
const input = $('#token');

function show() {
  initNav();
  const token = getToken();
  if (!token) {
    replace(state, 'Not signed in. Pages act as an anonymous customer.');
    return;
  }
  const info = describeToken(token);
  const parts = ['Signed in'];
  if (info?.subject) parts.push(` as ${info.subject}`);
  if (info?.role) parts.push(` (${info.role}${info.outlet ? ` at ${info.outlet}` : ''})`);
  parts.push('.');
  const expired = info?.expires && info.expires < new Date();
  replace(state, parts.join(''),
    info?.expires ? h('span', {}, ` ${expired ? 'The token expired' : 'The token expires'} ${info.expires.toLocaleString()}.`) : null,
    expired ? h('strong', {}, ' Paste a new one.') : null);
}

$('#signin-form').addEventListener('submit', e => {
  e.preventDefault();
  setToken(input.value);
  input.value = '';
  show();
});

$('#signout').addEventListener('click', () => {
  clearToken();
  show();
});

show();
