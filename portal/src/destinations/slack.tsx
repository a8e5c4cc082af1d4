import { Field } from '../components/Field.tsx';
import { SecretInput } from '../components/SecretInput.tsx';
import type { DestinationKind, FieldErrors, KindFieldsProps } from './destination-kind.ts';

export interface SlackValues {
  /** `oauth`: the operator's Slack app, installed through Slack's consent page. */
  mode: 'webhook' | 'bot' | 'oauth';
  webhookUrl: string;
  botToken: string;
  channel: string;
}

function SlackFields({ values, onChange, errors }: KindFieldsProps<SlackValues>) {
  const bot = values.mode === 'bot';
  const channel = (hint: string) => (
    <Field label="Channel" hint={hint} error={errors['slack.channel']}>
      {(props) => <input {...props} value={values.channel} onChange={(event) => onChange({ ...values, channel: event.target.value.trim() })} />}
    </Field>
  );
  return (
    <>
      <fieldset className="fieldset">
        <legend>Post with</legend>
        <label className="choice">
          <input type="radio" name="slack-mode" checked={values.mode === 'oauth'} onChange={() => onChange({ ...values, mode: 'oauth' })} />
          Add to Slack <span className="muted">— you approve our app on Slack&apos;s page next</span>
        </label>
        <label className="choice">
          <input type="radio" name="slack-mode" checked={values.mode === 'webhook'} onChange={() => onChange({ ...values, mode: 'webhook' })} />
          An incoming webhook <span className="muted">— a URL Slack made for one channel</span>
        </label>
        <label className="choice">
          <input type="radio" name="slack-mode" checked={bot} onChange={() => onChange({ ...values, mode: 'bot' })} />
          A bot token <span className="muted">— a Slack app that may post to the channel you name</span>
        </label>
      </fieldset>
      {values.mode === 'oauth' ? (
        channel('A public channel by id ("C0123456789") or name ("#alerts"); invite the app to a private one.')
      ) : bot ? (
        <>
          <Field label="Bot token" hint='"xoxb-...", from the app&apos;s OAuth page; it needs the chat:write scope.' error={errors['slack.botToken']}>
            {(props) => <SecretInput {...props} value={values.botToken} onValue={(botToken) => onChange({ ...values, botToken })} />}
          </Field>
          {channel('A channel id such as "C0123456789", or a name such as "#alerts". Invite the app to it.')}
        </>
      ) : (
        <Field label="Webhook URL" hint="https://hooks.slack.com/services/…, from the app's Incoming Webhooks page." error={errors['slack.webhookUrl']}>
          {(props) => <SecretInput {...props} type="url" inputMode="url" value={values.webhookUrl} onValue={(webhookUrl) => onChange({ ...values, webhookUrl })} />}
        </Field>
      )}
    </>
  );
}

/** A Slack channel: messages through an incoming webhook, or through chat.postMessage with a bot token or an install of the operator's app. */
export const slackKind: DestinationKind<SlackValues> = {
  kind: 'SLACK',
  label: 'Slack',
  description: 'A message in a Slack channel for each event.',
  initial: () => ({ mode: 'webhook', webhookUrl: '', botToken: '', channel: '' }),
  Fields: SlackFields,
  check(values) {
    const errors: FieldErrors = {};
    if (values.mode === 'webhook') {
      // The server checks it lies on Slack's webhook host (or the one its operator configured).
      if (!URL.canParse(values.webhookUrl)) errors['slack.webhookUrl'] = 'Enter the URL of an incoming webhook';
    } else {
      if (values.mode === 'bot' && !/^(xoxe\.)?xox[bp]-/.test(values.botToken)) errors['slack.botToken'] = 'A bot token starts with "xoxb-"';
      if (!values.channel) errors['slack.channel'] = 'Name the channel to post to';
    }
    return errors;
  },
  toInput(values) {
    return {
      kind: 'SLACK',
      slack:
        values.mode === 'webhook' ? { webhookUrl: values.webhookUrl }
        : values.mode === 'bot' ? { botToken: values.botToken, channel: values.channel }
        : { channel: values.channel },
    };
  },
  suggestName(values) {
    return values.mode !== 'webhook' && values.channel ? `Slack ${values.channel.startsWith('#') || /^[CG]/.test(values.channel) ? values.channel : `#${values.channel}`}` : 'Slack';
  },
};
