import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, variables } from '../src/config.ts';

describe('configuration', () => {
  it('has a default for everything but the database and the admin key', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeUndefined();
    expect(config.adminKey).toBeUndefined();
    expect(config).toMatchObject({ port: 4000, role: 'all', allowPrivateTargets: false, workerConcurrency: 50 });
  });

  it('lists every invalid variable at once, by name', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', SWITCHYARD_ROLE: 'both', SWITCHYARD_EXPRESSION_TIMEOUT_MS: '-1' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const names = (error as ConfigError).problems.map((problem) => problem.split(':')[0]);
    expect(names.sort()).toEqual(['PORT', 'SWITCHYARD_EXPRESSION_TIMEOUT_MS', 'SWITCHYARD_ROLE']);
  });

  it('documents every variable in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const undocumented = Object.values(variables).filter((name) => !readme.includes(`| \`${name}\` |`));
    expect(undocumented).toEqual([]);
  });

  it('takes the quota probe interval in whole seconds, 3600 by default, and names the variable of a bad one', () => {
    expect(loadConfig({}).quotaProbeSeconds).toBe(3600);
    expect(loadConfig({ SWITCHYARD_QUOTA_PROBE_SECONDS: '900' }).quotaProbeSeconds).toBe(900);
    expect(() => loadConfig({ SWITCHYARD_QUOTA_PROBE_SECONDS: 'hourly' })).toThrow(
      expect.objectContaining({ problems: [expect.stringMatching(/^SWITCHYARD_QUOTA_PROBE_SECONDS: /)] }),
    );
    expect(() => loadConfig({ SWITCHYARD_QUOTA_PROBE_SECONDS: '0' })).toThrow(ConfigError);
  });

  it('takes vendor base URLs without a trailing slash, and refuses ones that are not plain http(s) URLs', () => {
    expect(loadConfig({ SWITCHYARD_SLACK_API_URL: 'http://127.0.0.1:9000/api/' }).slackApiUrl).toBe('http://127.0.0.1:9000/api');
    expect(loadConfig({}).mailchimpApiUrl).toBe('https://{dc}.api.mailchimp.com/3.0');
    expect(() => loadConfig({ SWITCHYARD_SLACK_WEBHOOK_BASE_URL: 'ftp://hooks.example', SWITCHYARD_MAILCHIMP_API_URL: 'https://user:pw@x.example' })).toThrow(
      expect.objectContaining({
        problems: [expect.stringMatching(/^SWITCHYARD_SLACK_WEBHOOK_BASE_URL: /), expect.stringMatching(/^SWITCHYARD_MAILCHIMP_API_URL: /)],
      }),
    );
  });
});
