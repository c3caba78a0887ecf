/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-envelope"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "clap-catalog.h"
#include "clap-envelope.h"
#include "clap-untrusted.h"

/* Every reply of the service is an envelope {"code", "msg", "data"}. A call
 * has failed when the HTTP status is not 2xx *or* the code is not a success
 * (200, or the 0 of Kling's own API, which the gateway passes through); any
 * other shape (an HTML error page, a cut or non-JSON body, no data) is a
 * protocol error that names the HTTP status.
 *
 * The provider's gateway fronts several upstreams, and its answers vary: a
 * task's members may sit beside "data" rather than in it, and a 2xx answer
 * may come bare, the task itself with no envelope. Both are read, as far as
 * the catalogue's names say what a task is.
 *
 * These bytes come from the network: they are bounded in size and depth
 * before json-glib sees them, and nothing here trusts their shape.
 */

G_DEFINE_QUARK (clap-client-error-quark, clap_client_error)

#define MAX_DETAIL_CHARS 300

/* The detail the server gave, cut to a readable length and made safe to show. */
static char *
clean_detail (const char *detail)
{
  g_autofree char *spaced = NULL;
  g_autofree char *valid = NULL;
  glong n_chars;

  if (detail == NULL || *detail == '\0')
    return NULL;

  /* Line breaks become spaces; other control characters are shown
   * escaped, so that a terminal or a label never acts on them. */
  spaced = g_strstrip (g_utf8_make_valid (detail, -1));
  for (char *p = spaced; *p; p++)
    if (*p == '\n' || *p == '\r' || *p == '\t')
      *p = ' ';
  valid = clap_untrusted_escape (spaced, -1);

  n_chars = g_utf8_strlen (valid, -1);
  if (n_chars > MAX_DETAIL_CHARS)
    {
      g_autofree char *cut = g_utf8_substring (valid, 0, MAX_DETAIL_CHARS);
      return g_strconcat (cut, "…", NULL);
    }

  return g_steal_pointer (&valid);
}

const char *
clap_client_advice (ClapAdvice advice)
{
  switch (advice)
    {
    case CLAP_ADVICE_LATER:
      return _("Try again later.");
    case CLAP_ADVICE_MOMENT:
      return _("Try again in a moment.");
    case CLAP_ADVICE_NETWORK:
      return _("Check the network connection.");
    case CLAP_N_ADVICES:
    default:
      g_return_val_if_reached ("");
    }
}

/* What happened, without the advice to try again: @error's message with
 * any sentence of clap_client_advice() taken out. */
char *
clap_client_error_dup_reason (const GError *error)
{
  GString *reason;

  g_return_val_if_fail (error != NULL, NULL);

  reason = g_string_new (error->message);
  for (ClapAdvice a = 0; a < CLAP_N_ADVICES; a++)
    {
      const char *advice = clap_client_advice (a);
      const char *found = strstr (reason->str, advice);

      if (found != NULL && *advice != '\0')
        {
          gsize at = (gsize) (found - reason->str);
          gsize length = strlen (advice);

          /* the space that joined it too */
          if (at > 0 && reason->str[at - 1] == ' ')
            at--, length++;
          g_string_erase (reason, (gssize) at, (gssize) length);
        }
    }

  return g_string_free (reason, FALSE);
}

/* "REASON ADVICE", the two joined as a sentence that follows another. */
static char *
with_advice (const char *reason,
             ClapAdvice  advice)
{
  /* Translators: a reason ("The service had an internal error (HTTP 500).")
   * followed by what to do about it ("Try again later.") */
  return g_strdup_printf (C_("reason, advice", "%s %s"), reason, clap_client_advice (advice));
}

static void
set_error (GError     **error,
           gint         code,
           const char  *message,
           const char  *detail)
{
  g_autofree char *clean = clean_detail (detail);

  if (clean != NULL)
    g_set_error (error, CLAP_CLIENT_ERROR, code, "%s (%s)", message, clean);
  else
    g_set_error_literal (error, CLAP_CLIENT_ERROR, code, message);
}

/* Maps an API status (the HTTP status, or the envelope's code, which uses the
 * same numbers) to an error with a message that says what to do. */
void
clap_client_error_from_http (guint         status,
                             const char   *detail,
                             GError      **error)
{
  g_autofree char *message = NULL;

  switch (status)
    {
    case 400:
    case 422:
      set_error (error, CLAP_CLIENT_ERROR_BAD_REQUEST,
                 _("The service refused the request as invalid."), detail);
      return;

    case 401:
      set_error (error, CLAP_CLIENT_ERROR_UNAUTHORIZED,
                 _("The API key was rejected. Open Preferences to set a new one."), detail);
      return;

    case 402:
      set_error (error, CLAP_CLIENT_ERROR_INSUFFICIENT_BALANCE,
                 _("Your balance is too low for this take. Add credits to your "
                   "apimodels.app account, then try again."), detail);
      return;

    case 403:
    case 410:
      message = g_strdup_printf (_("The service refused access (HTTP %u): the link may have "
                                   "expired."), status);
      set_error (error, CLAP_CLIENT_ERROR_EXPIRED, message, detail);
      return;

    case 404:
      set_error (error, CLAP_CLIENT_ERROR_NOT_FOUND,
                 _("The service does not know this task or file."), detail);
      return;

    case 408:
    case 504:
      {
        g_autofree char *reason = g_strdup_printf (_("The service took too long to answer "
                                                     "(HTTP %u)."), status);

        message = with_advice (reason, CLAP_ADVICE_LATER);
        set_error (error, CLAP_CLIENT_ERROR_TIMEOUT, message, detail);
      }
      return;

    case 429:
    case 1302:
    case 1303:
      message = with_advice (_("The service is receiving too many requests."),
                             CLAP_ADVICE_MOMENT);
      set_error (error, CLAP_CLIENT_ERROR_RATE_LIMITED, message, detail);
      return;

    default:
      break;
    }

  if (status >= 500 && status <= 599)
    {
      g_autofree char *reason = g_strdup_printf (_("The service had an internal error "
                                                   "(HTTP %u)."), status);

      message = with_advice (reason, CLAP_ADVICE_LATER);
      set_error (error, CLAP_CLIENT_ERROR_SERVER, message, detail);
    }
  else if (status >= 400 && status <= 499)
    {
      message = g_strdup_printf (_("The service refused the request (HTTP %u)."), status);
      set_error (error, CLAP_CLIENT_ERROR_BAD_REQUEST, message, detail);
    }
  else
    {
      message = g_strdup_printf (_("The service sent an unexpected answer (code %u)."), status);
      set_error (error, CLAP_CLIENT_ERROR_PROTOCOL, message, detail);
    }
}

static void
protocol_error (GError     **error,
                guint        http_status,
                const char  *what)
{
  g_set_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL,
               /* Translators: the second %s says what was wrong with the reply */
               _("The service sent a reply that could not be read (HTTP %u): %s."),
               http_status, what);
}

static gboolean
read_code (JsonObject *root,
           gint64     *code)
{
  JsonNode *node = json_object_get_member (root, "code");

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      *code = json_node_get_int (node);
      return TRUE;

    case G_TYPE_DOUBLE:
      {
        double value = json_node_get_double (node);

        /* 1e99 is no status code, and casting it would be undefined. */
        if (!(value > -1e9 && value < 1e9))
          return FALSE;
        *code = (gint64) value;
        return TRUE;
      }

    case G_TYPE_STRING:
      {
        const char *s = json_node_get_string (node);
        char *end = NULL;

        *code = g_ascii_strtoll (s, &end, 10);
        return end != s && *end == '\0';
      }

    default:
      return FALSE;
    }
}

static const char *
get_string_member (JsonObject *object,
                   const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
has_any_member (JsonObject         *object,
                const char * const *names)
{
  for (guint i = 0; names[i] != NULL; i++)
    {
      JsonNode *node = json_object_get_member (object, names[i]);

      if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
        return TRUE;
    }
  return FALSE;
}

/* Whether @node is an object that names a task or its state. */
static gboolean
reads_as_task (JsonNode *node)
{
  const ClapAnswerNames *answers = clap_catalog_get_answers ();

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) &&
         (has_any_member (json_node_get_object (node), answers->task_id) ||
          has_any_member (json_node_get_object (node), answers->state));
}

static gboolean
code_is_success (gint64 code)
{
  const ClapAnswerNames *answers = clap_catalog_get_answers ();

  for (guint i = 0; i < answers->n_success_codes; i++)
    if (answers->success_codes[i] == code)
      return TRUE;
  return FALSE;
}

/* The envelope's own members, which say how the call went, not what the
 * task is: left out when the root's members join the task's. */
static gboolean
is_envelope_member (const char *name)
{
  return g_str_equal (name, "code") || g_str_equal (name, "msg") ||
         g_str_equal (name, "message") || g_str_equal (name, "data");
}

/* The task an envelope carries: @data_node's members, and those of @root
 * that it lacks (some gateways write the id beside the data). A state
 * beside the data is the task's only when the root names the task too: an
 * envelope's "status": "success" says how the call went. */
static JsonNode *
merge_task (JsonObject *root,
            JsonNode   *data_node)
{
  const ClapAnswerNames *answers = clap_catalog_get_answers ();
  JsonObject *data = json_node_get_object (data_node);
  gboolean root_has_id = has_any_member (root, answers->task_id);
  g_autoptr(JsonObject) task = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  json_object_iter_init (&iter, data);
  while (json_object_iter_next (&iter, &name, &member))
    json_object_set_member (task, name, json_node_copy (member));

  json_object_iter_init (&iter, root);
  while (json_object_iter_next (&iter, &name, &member))
    {
      if (is_envelope_member (name) || json_object_has_member (task, name) ||
          (!root_has_id && g_strv_contains (answers->state, name)))
        continue;
      json_object_set_member (task, name, json_node_copy (member));
    }

  return json_node_init_object (json_node_alloc (), task);
}

/* The root itself as the task, without the envelope's code and message
 * when it has a code (then they are the envelope's, not the task's). */
static JsonNode *
root_as_task (JsonObject *root,
              gboolean    has_code)
{
  g_autoptr(JsonObject) task = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  json_object_iter_init (&iter, root);
  while (json_object_iter_next (&iter, &name, &member))
    {
      if (has_code && is_envelope_member (name))
        continue;
      json_object_set_member (task, name, json_node_copy (member));
    }

  return json_node_init_object (json_node_alloc (), task);
}

/* Returns the envelope's data (a new node) when the call succeeded, or NULL
 * and the error that says why not. */
JsonNode *
clap_envelope_parse (guint          http_status,
                     const char    *content_type,
                     GBytes        *body,
                     GError       **error)
{
  g_autoptr(JsonNode) root_node = NULL;
  g_autoptr(GError) parse_error = NULL;
  gboolean http_ok = http_status >= 200 && http_status <= 299;
  const char *data;
  gsize size = 0;
  JsonObject *root;
  JsonNode *data_node;
  const char *msg = NULL;
  gboolean has_data;
  gint64 code = 0;

  data = body != NULL ? g_bytes_get_data (body, &size) : NULL;

  if (size == 0)
    {
      if (http_ok)
        protocol_error (error, http_status, _("the reply is empty"));
      else
        clap_client_error_from_http (http_status, NULL, error);
      return NULL;
    }

  root_node = clap_untrusted_parse_json (data, (gssize) size, CLAP_UNTRUSTED_MAX_ANSWER_BYTES,
                                         &parse_error);
  if (root_node == NULL || !JSON_NODE_HOLDS_OBJECT (root_node))
    {
      if (!http_ok)
        clap_client_error_from_http (http_status, NULL, error);
      else if (g_error_matches (parse_error, CLAP_UNTRUSTED_ERROR, CLAP_UNTRUSTED_ERROR_TOO_LARGE))
        {
          g_autofree char *reason =
            g_strdup_printf (_("The service sent an answer larger than %d MB (HTTP %u); "
                               "Clapboard does not read it."),
                             CLAP_UNTRUSTED_MAX_ANSWER_BYTES / (1024 * 1024), http_status);
          g_autofree char *message = with_advice (reason, CLAP_ADVICE_LATER);

          g_set_error_literal (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_TOO_LARGE, message);
        }
      else if (g_error_matches (parse_error, CLAP_UNTRUSTED_ERROR, CLAP_UNTRUSTED_ERROR_TOO_DEEP))
        protocol_error (error, http_status, parse_error->message);
      else if (content_type != NULL && g_str_has_prefix (content_type, "text/html"))
        protocol_error (error, http_status, _("an HTML page instead of data"));
      else
        protocol_error (error, http_status, _("it is cut short or is not JSON"));
      return NULL;
    }

  root = json_node_get_object (root_node);
  msg = get_string_member (root, "msg");
  if (msg == NULL)
    msg = get_string_member (root, "message");

  data_node = json_object_get_member (root, "data");
  has_data = data_node != NULL && !JSON_NODE_HOLDS_NULL (data_node);

  if (!json_object_has_member (root, "code"))
    {
      /* A bare answer: the task itself, or an envelope that lost its code
       * around a task. Anything else is not an answer Clapboard knows. */
      if (!http_ok)
        clap_client_error_from_http (http_status, msg, error);
      else if (reads_as_task (data_node))
        return merge_task (root, data_node);
      else if (!has_data && reads_as_task (root_node))
        return root_as_task (root, FALSE);
      else
        protocol_error (error, http_status, _("it has no status code"));
      return NULL;
    }

  if (!read_code (root, &code))
    {
      if (!http_ok)
        clap_client_error_from_http (http_status, msg, error);
      else
        protocol_error (error, http_status, _("it has no status code"));
      return NULL;
    }

  if (!code_is_success (code))
    {
      clap_client_error_from_http (code > 0 && code < G_MAXINT ? (guint) code : 0, msg, error);
      return NULL;
    }

  if (!http_ok)
    {
      clap_client_error_from_http (http_status, msg, error);
      return NULL;
    }

  if (has_data && JSON_NODE_HOLDS_OBJECT (data_node))
    return merge_task (root, data_node);

  if (has_data)
    return json_node_copy (data_node);

  if (reads_as_task (root_node))
    return root_as_task (root, TRUE);

  protocol_error (error, http_status, _("it carries no data"));
  return NULL;
}

/* Whether an idempotent call (query, upload, download) may be tried again. */
gboolean
clap_client_error_is_transient (const GError *error)
{
  if (error == NULL || error->domain != CLAP_CLIENT_ERROR)
    return FALSE;

  switch (error->code)
    {
    case CLAP_CLIENT_ERROR_RATE_LIMITED:
    case CLAP_CLIENT_ERROR_SERVER:
    case CLAP_CLIENT_ERROR_NETWORK:
    case CLAP_CLIENT_ERROR_TIMEOUT:
    case CLAP_CLIENT_ERROR_PROTOCOL:
      return TRUE;
    default:
      return FALSE;
    }
}
