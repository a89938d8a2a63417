// jsforce 3.10 against a local org, driven by tests/realclients/test_jsforce.py.
//
// stdin line 1: {"loginUrl", "clientId", "clientSecret", "redirectUri", "tag", "many"}
// stdout line 1: {"authorizationUrl"}   (the test completes the login and consent pages)
// stdin line 2: the callback URL the pages redirected to (with ?code=&state=)
// stdout line 2: {"steps": {...}} what each jsforce call returned, or {"error": "..."}
//
// Only jsforce's public API is used: OAuth2 with useVerifier (its PKCE), Connection.authorize,
// sobject().create/retrieve/update/destroy, query with autoFetch, queryMore, apex.post.
// The local CA is trusted through NODE_EXTRA_CA_CERTS; TLS verification stays on.
'use strict';
const readline = require('node:readline');
const crypto = require('node:crypto');
const jsforce = require('jsforce');

const API_VERSION = '66.0';

async function main() {
  const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const cfg = JSON.parse((await lines.next()).value);
  const oauth2 = new jsforce.OAuth2({
    loginUrl: cfg.loginUrl, clientId: cfg.clientId, clientSecret: cfg.clientSecret,
    redirectUri: cfg.redirectUri, useVerifier: true,
  });
  const state = crypto.randomBytes(16).toString('hex');
  const authorizationUrl = oauth2.getAuthorizationUrl({ scope: 'api refresh_token', state });
  console.log(JSON.stringify({ authorizationUrl }));

  const callback = new URL((await lines.next()).value);
  if (callback.searchParams.get('state') !== state) throw new Error('state mismatch');
  const conn = new jsforce.Connection({ oauth2, version: API_VERSION });
  const userInfo = await conn.authorize(callback.searchParams.get('code'));
  const steps = { userInfo, instanceUrl: conn.instanceUrl, hasRefreshToken: !!conn.refreshToken };

  // CRUD on Account
  const accounts = conn.sobject('Account');
  const created = await accounts.create({ Name: `${cfg.tag} crud`, Industry: 'Energy' });
  const read = await accounts.retrieve(created.id);
  const updated = await accounts.update({ Id: created.id, Name: `${cfg.tag} crud renamed` });
  const reread = await accounts.retrieve(created.id);
  const destroyed = await accounts.destroy(created.id);
  let afterDelete = null;
  try {
    await accounts.retrieve(created.id);
  } catch (err) {
    afterDelete = err.errorCode || err.name;
  }
  steps.crud = { created, readName: read.Name, readIndustry: read.Industry, updated,
                 rereadName: reread.Name, destroyed, afterDelete };

  // More records than one query batch (2000), inserted 200 per sObject Collections call.
  const names = Array.from({ length: cfg.many }, (_, i) => `${cfg.tag} bulk ${String(i).padStart(5, '0')}`);
  let inserted = 0;
  for (let i = 0; i < names.length; i += 200) {
    const results = await accounts.create(names.slice(i, i + 200).map((Name) => ({ Name })),
                                          { allOrNone: true });
    inserted += results.filter((r) => r.success).length;
  }
  const soql = `SELECT Id, Name FROM Account WHERE Name LIKE '${cfg.tag} bulk %' ORDER BY Name`;
  const firstPage = await conn.query(soql);
  const secondPage = await conn.queryMore(firstPage.nextRecordsUrl);
  const all = await conn.query(soql, { autoFetch: true, maxFetch: 10000 });
  const allNames = all.records.map((r) => r.Name);
  steps.paging = {
    inserted, totalSize: firstPage.totalSize, firstDone: firstPage.done,
    firstCount: firstPage.records.length, secondDone: secondPage.done,
    secondCount: secondPage.records.length, autoFetchCount: all.records.length,
    autoFetchInOrder: JSON.stringify(allNames) === JSON.stringify(names),
  };

  // Apex REST: the tutorial's service in ORG B
  steps.apex = await conn.apex.post('/createAccountRecord', [
    { Name: `${cfg.tag} apex 1`, Industry: 'Energy' }, { Name: `${cfg.tag} apex 2` }]);
  const apexCount = await conn.query(`SELECT COUNT() FROM Account WHERE Name LIKE '${cfg.tag} apex %'`);
  steps.apexCount = apexCount.totalSize;

  // What else a jsforce program reads: identity URL, describe, the User record, limits.
  const identity = await conn.identity();
  const global = await conn.describeGlobal();
  const me = await conn.sobject('User').retrieve(userInfo.id);
  const limits = await conn.limits();
  steps.more = { identityUsername: identity.username, identityUserId: identity.user_id,
                 sobjects: global.sobjects.map((o) => o.name), meUsername: me.Username,
                 dailyApiMax: limits.DailyApiRequests.Max };

  // Logging out revokes the token (OAuth2 revoke); the next call must be refused.
  const revoked = conn.accessToken;
  await conn.logout();
  try {
    await new jsforce.Connection({ instanceUrl: steps.instanceUrl, accessToken: revoked,
                                   version: API_VERSION }).query('SELECT Id FROM Account LIMIT 1');
    steps.afterLogout = 'accepted';
  } catch (err) {
    steps.afterLogout = err.errorCode || err.name;
  }
  console.log(JSON.stringify({ steps }));
}

main().catch((err) => {
  // Error texts of jsforce carry Salesforce's errorCode and message, never a token.
  console.log(JSON.stringify({ error: `${err.name}: ${err.message}`, errorCode: err.errorCode }));
  process.exitCode = 1;
});
