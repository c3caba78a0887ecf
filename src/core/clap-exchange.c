/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-exchange"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "clap-exchange.h"
#include "clap-untrusted.h"

/* A take's Request Details as a person reads them: each request, its
 * headers and body, and the answer, in the order they happened. The same
 * text is shown in the window and printed by `clapboard-cli inspect
 * --text`, for a support request. What was stored came from the network:
 * bodies are shown, never acted on (control characters escaped). */

static const char *
get_string (JsonObject *object,
            const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gint64
get_int (JsonObject *object,
         const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return 0;
  return json_node_get_int (node);
}

static JsonObject *
get_object (JsonObject *object,
            const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static void
append_escaped (GString    *out,
                const char *text)
{
  g_autofree char *escaped = NULL;

  /* Line breaks stay: a body is shown over several lines. */
  for (const char *line = text; line != NULL && *line != '\0';)
    {
      const char *end = strchr (line, '\n');
      g_autofree char *part = g_strndup (line, end ? (gsize) (end - line) : strlen (line));

      g_free (escaped);
      escaped = clap_untrusted_escape (part, -1);
      g_string_append (out, escaped);
      g_string_append_c (out, '\n');
      line = end ? end + 1 : NULL;
    }
}

/* A body: JSON laid out over lines when it reads as JSON, else as it is. */
static void
append_body (GString    *out,
             const char *body)
{
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *pretty = NULL;

  if (body == NULL || *body == '\0')
    return;

  node = clap_untrusted_parse_json (body, -1, CLAP_UNTRUSTED_MAX_ANSWER_BYTES, NULL);
  if (node != NULL && (JSON_NODE_HOLDS_OBJECT (node) || JSON_NODE_HOLDS_ARRAY (node)))
    pretty = json_to_string (node, TRUE);
  append_escaped (out, pretty ? pretty : body);
}

static void
append_time (GString *out,
             gint64   ms)
{
  g_autoptr(GDateTime) utc = ms > 0 ? g_date_time_new_from_unix_utc (ms / 1000) : NULL;
  g_autoptr(GDateTime) local = utc ? g_date_time_to_local (utc) : NULL;
  g_autofree char *text = local ? g_date_time_format (local, "%Y-%m-%d %H:%M:%S") : NULL;

  g_string_append (out, text ? text : "?");
}

static void
append_exchange (GString    *out,
                 JsonObject *exchange)
{
  JsonObject *headers = get_object (exchange, "requestHeaders");
  JsonNode *redirects = json_object_get_member (exchange, "redirects");
  const char *error = get_string (exchange, "error");
  gint64 status = get_int (exchange, "status");
  g_autofree char *url = clap_untrusted_escape (get_string (exchange, "url"), -1);
  g_autofree char *method = clap_untrusted_escape (get_string (exchange, "method"), 16);

  g_string_append (out, "── ");
  append_time (out, get_int (exchange, "time"));
  g_string_append_printf (out, " · %s %s", method ? method : "?", url ? url : "?");
  if (status > 0)
    g_string_append_printf (out, " → HTTP %" G_GINT64_FORMAT, status);
  else
    g_string_append_printf (out, " → %s", _("no answer"));
  g_string_append_printf (out, " · %" G_GINT64_FORMAT " ms\n", get_int (exchange, "durationMs"));

  if (headers != NULL)
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      json_object_iter_init (&iter, headers);
      while (json_object_iter_next (&iter, &name, &value))
        if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
          {
            g_autofree char *line = g_strdup_printf ("> %s: %s", name, json_node_get_string (value));
            append_escaped (out, line);
          }
    }
  append_body (out, get_string (exchange, "requestBody"));

  if (redirects != NULL && JSON_NODE_HOLDS_ARRAY (redirects))
    {
      JsonArray *hops = json_node_get_array (redirects);

      for (guint i = 0; i < json_array_get_length (hops); i++)
        {
          JsonObject *hop = json_array_get_object_element (hops, i);
          g_autofree char *line = g_strdup_printf ("< %s %" G_GINT64_FORMAT " → %s",
                                                   _("redirected"), get_int (hop, "status"),
                                                   get_string (hop, "url") ? get_string (hop, "url")
                                                                           : "?");
          append_escaped (out, line);
        }
    }

  if (get_string (exchange, "responseBody") != NULL)
    {
      g_string_append (out, "<\n");
      append_body (out, get_string (exchange, "responseBody"));
    }
  if (error != NULL)
    {
      g_autofree char *line = g_strdup_printf ("! %s", error);
      append_escaped (out, line);
    }
}

/* @entries: what clap_store_dup_exchanges() gives, an array of {"seq",
 * "time", "attempt", "exchange" | "error"}. Returns the readable text. */
char *
clap_exchanges_to_text (JsonNode *entries)
{
  GString *out = g_string_new (NULL);
  JsonArray *array;
  gint64 attempt = -1;

  if (entries == NULL || !JSON_NODE_HOLDS_ARRAY (entries))
    return g_string_free (out, FALSE);

  array = json_node_get_array (entries);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *entry = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      JsonObject *exchange = get_object (entry, "exchange");

      if (entry == NULL)
        continue;

      if (get_int (entry, "attempt") != attempt)
        {
          attempt = get_int (entry, "attempt");
          if (out->len > 0)
            g_string_append_c (out, '\n');
          /* Translators: a heading in Request Details; "Send Again" starts a new one */
          g_string_append_printf (out, _("Submission %d\n"), (int) MIN (attempt + 1, G_MAXINT));
        }
      else
        g_string_append_c (out, '\n');

      if (exchange != NULL && json_object_has_member (exchange, "truncated"))
        {
          /* Too large to keep whole: its start. */
          g_string_append_printf (out, _("── (%d bytes, cut when kept)\n"),
                                  (int) MIN (get_int (exchange, "bytes"), G_MAXINT));
          append_escaped (out, get_string (exchange, "head"));
        }
      else if (exchange != NULL)
        append_exchange (out, exchange);
      else
        {
          g_autofree char *line = g_strdup_printf ("! %s", get_string (entry, "error")
                                                            ? get_string (entry, "error") : "?");
          append_escaped (out, line);
        }
    }

  return g_string_free (out, FALSE);
}
