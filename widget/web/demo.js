// Demo page only: chat as a customer of the bundled table. A real site gets the identity token from
// its own backend; here Keel's development signer (serve --demo-identity-signer) stands in for it.
// Without the signer the chat opens unverified: the customer id is not believed.
(function () {
  'use strict';
  function identityFor(customerId) {
    if (!customerId) { return Promise.resolve(null); }
    return fetch('/api/v1/dev/identity-token', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ customerId: customerId })
    }).then(function (r) {
      return r.ok ? r.json().then(function (j) { return { identityToken: j.identityToken }; }) : { customerId: customerId };
    });
  }
  document.getElementById('demo-restart').addEventListener('click', function () {
    identityFor(document.getElementById('demo-customer').value.trim() || null).then(function (identity) {
      window.KeelWidget.restart(identity);
    });
  });
})();
