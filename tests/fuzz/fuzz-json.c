/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "clap-untrusted.h"
#include "fuzz-common.h"

/* clap_untrusted_parse_json() is the gate every body from the network
 * passes before json-glib, which recurses once per level. Input: one byte
 * choosing the size cap, then the bytes. Whatever it lets through is within
 * the cap and nests at most CLAP_UNTRUSTED_MAX_JSON_DEPTH deep; whatever it
 * refuses is refused for a reason of its own domain. */

static const gsize caps[] = { 16, 256, 4096, CLAP_UNTRUSTED_MAX_ANSWER_BYTES };

static guint
depth_of (JsonNode *node)
{
  guint deepest = 0;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &member))
        {
          guint depth = depth_of (member);
          deepest = MAX (deepest, depth);
        }
      return deepest + 1;
    }

  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          guint depth = depth_of (json_array_get_element (array, i));
          deepest = MAX (deepest, depth);
        }
      return deepest + 1;
    }

  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  const char *text;
  gsize length;
  gsize cap;

  fuzz_init ();

  if (size < 1)
    return 0;

  cap = caps[data[0] % G_N_ELEMENTS (caps)];
  text = (const char *) data + 1;
  length = size - 1;

  root = clap_untrusted_parse_json (text, (gssize) length, cap, &error);
  g_assert ((root == NULL) != (error == NULL));

  if (root != NULL)
    {
      g_assert (length <= cap);
      g_assert (depth_of (root) <= CLAP_UNTRUSTED_MAX_JSON_DEPTH);
      g_assert (clap_untrusted_check_json_depth (text, length, CLAP_UNTRUSTED_MAX_JSON_DEPTH));
    }
  else
    {
      g_assert (error->domain == CLAP_UNTRUSTED_ERROR);
      g_assert (g_utf8_validate (error->message, -1, NULL));
      if (length > cap)
        g_assert (error->code == CLAP_UNTRUSTED_ERROR_TOO_LARGE);
      else if (!clap_untrusted_check_json_depth (text, length, CLAP_UNTRUSTED_MAX_JSON_DEPTH))
        g_assert (error->code == CLAP_UNTRUSTED_ERROR_TOO_DEEP);
    }

  return 0;
}
