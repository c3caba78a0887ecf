/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "clap-untrusted.h"

/* "[[[…1…]]]" nested @depth deep. */
static char *
nested (guint       depth,
        const char *open,
        const char *inner,
        const char *close)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < depth; i++)
    g_string_append (s, open);
  g_string_append (s, inner);
  for (guint i = 0; i < depth; i++)
    g_string_append (s, close);
  return g_string_free (s, FALSE);
}

static void
test_depth (void)
{
  g_autofree char *ok = nested (CLAP_UNTRUSTED_MAX_JSON_DEPTH, "[", "1", "]");
  g_autofree char *deep = nested (CLAP_UNTRUSTED_MAX_JSON_DEPTH + 1, "[", "1", "]");
  g_autofree char *objects = nested (CLAP_UNTRUSTED_MAX_JSON_DEPTH + 1, "{\"a\":", "1", "}");
  /* Brackets inside strings, escaped quotes included, are text. */
  g_autofree char *quoted = g_strdup_printf ("{\"s\":\"%s\\\"%s\"}", deep, deep);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  g_assert_true (clap_untrusted_check_json_depth (ok, strlen (ok), CLAP_UNTRUSTED_MAX_JSON_DEPTH));
  g_assert_false (clap_untrusted_check_json_depth (deep, strlen (deep),
                                                   CLAP_UNTRUSTED_MAX_JSON_DEPTH));
  g_assert_false (clap_untrusted_check_json_depth (objects, strlen (objects),
                                                   CLAP_UNTRUSTED_MAX_JSON_DEPTH));
  g_assert_true (clap_untrusted_check_json_depth (quoted, strlen (quoted), 1));

  node = clap_untrusted_parse_json (ok, -1, 1024 * 1024, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  g_clear_pointer (&node, json_node_unref);

  node = clap_untrusted_parse_json (quoted, -1, 1024 * 1024, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  g_clear_pointer (&node, json_node_unref);

  node = clap_untrusted_parse_json (objects, -1, 1024 * 1024, &error);
  g_assert_error (error, CLAP_UNTRUSTED_ERROR, CLAP_UNTRUSTED_ERROR_TOO_DEEP);
  g_assert_null (node);
}

/* 200,000 levels: json-glib alone runs out of stack on this. */
static void
test_depth_huge (void)
{
  g_autofree char *deep = nested (200000, "{\"data\":", "{}", "}");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = clap_untrusted_parse_json (deep, -1, CLAP_UNTRUSTED_MAX_ANSWER_BYTES,
                                                        &error);

  g_assert_error (error, CLAP_UNTRUSTED_ERROR, CLAP_UNTRUSTED_ERROR_TOO_DEEP);
  g_assert_null (node);
}

static void
test_size (void)
{
  const char *json = "{\"taskId\":\"abc\"}";
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  node = clap_untrusted_parse_json (json, -1, strlen (json) - 1, &error);
  g_assert_error (error, CLAP_UNTRUSTED_ERROR, CLAP_UNTRUSTED_ERROR_TOO_LARGE);
  g_assert_null (node);
  g_clear_error (&error);

  node = clap_untrusted_parse_json (json, (gssize) strlen (json), strlen (json), &error);
  g_assert_no_error (error);
  g_assert_nonnull (node);
  g_clear_pointer (&node, json_node_unref);

  node = clap_untrusted_parse_json ("{\"a\":", -1, 100, &error);
  g_assert_error (error, CLAP_UNTRUSTED_ERROR, CLAP_UNTRUSTED_ERROR_INVALID);
  g_assert_null (node);
}

static void
test_task_id (void)
{
  g_autofree char *longest = g_strnfill (CLAP_TASK_ID_MAX_LENGTH, 'a');
  g_autofree char *too_long = g_strnfill (CLAP_TASK_ID_MAX_LENGTH + 1, 'a');

  g_assert_true (clap_task_id_is_valid ("cl_1a2B-3c.4:5"));
  g_assert_true (clap_task_id_is_valid ("1234567890"));
  g_assert_true (clap_task_id_is_valid (longest));

  g_assert_false (clap_task_id_is_valid (NULL));
  g_assert_false (clap_task_id_is_valid (""));
  g_assert_false (clap_task_id_is_valid (too_long));
  g_assert_false (clap_task_id_is_valid ("../../../../tmp/x"));
  g_assert_false (clap_task_id_is_valid ("../../Videos/wedding"));
  g_assert_false (clap_task_id_is_valid ("a/b"));
  g_assert_false (clap_task_id_is_valid ("a\\b"));
  g_assert_false (clap_task_id_is_valid (".."));
  g_assert_false (clap_task_id_is_valid ("a..b"));
  g_assert_false (clap_task_id_is_valid ("a b"));
  g_assert_false (clap_task_id_is_valid ("a\x1b[2Jb"));
  g_assert_false (clap_task_id_is_valid ("a\x7f"));
  g_assert_false (clap_task_id_is_valid ("任务"));
}

static void
test_escape (void)
{
  g_autofree char *plain = clap_untrusted_escape ("Content policy 违规 ✓", -1);
  g_autofree char *terminal = clap_untrusted_escape ("bad\x1b[2J\x07word\r\n", -1);
  g_autofree char *c1 = clap_untrusted_escape ("a\xc2\x85" "b", -1);
  g_autofree char *bidi = clap_untrusted_escape ("evil\xe2\x80\xae" "gnp.exe", -1);
  g_autofree char *invalid = clap_untrusted_escape ("a\xff" "b", -1);
  g_autofree char *cut = clap_untrusted_escape ("abcdef", 3);

  g_assert_cmpstr (plain, ==, "Content policy 违规 ✓");
  g_assert_cmpstr (terminal, ==, "bad\\x1B[2J\\x07word\\x0D\\x0A");
  g_assert_cmpstr (c1, ==, "a\\x85b");
  g_assert_cmpstr (bidi, ==, "evil\\u202Egnp.exe");
  g_assert_cmpstr (invalid, ==, "a\xef\xbf\xbd" "b");
  g_assert_cmpstr (cut, ==, "abc…");
  g_assert_null (clap_untrusted_escape (NULL, -1));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/untrusted/json-depth", test_depth);
  g_test_add_func ("/core/untrusted/json-depth-200000", test_depth_huge);
  g_test_add_func ("/core/untrusted/json-size", test_size);
  g_test_add_func ("/core/untrusted/task-id", test_task_id);
  g_test_add_func ("/core/untrusted/escape", test_escape);

  return g_test_run ();
}
