/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "clap-catalog.h"
#include "clap-request.h"

/* The provider's price tables, written out again from the contract by hand,
 * so the catalogue is checked against the page and not against itself. */
static const struct {
  const char *model, *mode, *version;
  gboolean    sound, voice;
  guint       seconds;
  const char *price;
} expected_prices[] = {
  { "kling-v2-6", "std", NULL, FALSE, FALSE, 5, "$0.0159" },
  { "kling-v2-6", "std", NULL, FALSE, FALSE, 10, "$0.0320" },
  { "kling-v2-6", "pro", NULL, FALSE, FALSE, 5, "$0.0267" },
  { "kling-v2-6", "pro", NULL, FALSE, FALSE, 10, "$0.0531" },
  { "kling-v2-6", "pro", NULL, TRUE, FALSE, 5, "$0.0531" },
  { "kling-v2-6", "pro", NULL, TRUE, FALSE, 10, "$0.1064" },
  { "kling-v2-6", "pro", NULL, TRUE, TRUE, 5, "$0.0639" },
  { "kling-v2-6", "pro", NULL, TRUE, TRUE, 10, "$0.1275" },
  { "kling-v3", "std", NULL, FALSE, FALSE, 3, "$0.1899" },
  { "kling-v3", "std", NULL, FALSE, FALSE, 5, "$0.3165" },
  { "kling-v3", "std", NULL, FALSE, FALSE, 15, "$0.9495" },
  { "kling-v3", "std", NULL, TRUE, FALSE, 4, "$0.3824" },
  { "kling-v3", "std", NULL, TRUE, FALSE, 10, "$0.9560" },
  { "kling-v3", "pro", NULL, FALSE, FALSE, 7, "$0.5971" },
  { "kling-v3", "pro", NULL, FALSE, FALSE, 15, "$1.2795" },
  { "kling-v3", "pro", NULL, TRUE, FALSE, 3, "$0.3840" },
  { "kling-v3", "pro", NULL, TRUE, FALSE, 15, "$1.9200" },
  { "kling-motion-control", "std", "2.6", FALSE, FALSE, 3, "$0.1800" },
  { "kling-motion-control", "std", "2.6", FALSE, FALSE, 30, "$1.8000" },
  { "kling-motion-control", "pro", "2.6", FALSE, FALSE, 10, "$1.0000" },
  { "kling-motion-control", "std", "3.0", FALSE, FALSE, 5, "$0.6000" },
  { "kling-motion-control", "pro", "3.0", FALSE, FALSE, 30, "$4.5000" },
  { "kling-motion-control", "pro", "3.0", FALSE, FALSE, 7, "$1.0500" },
};

/* Per-second rates from the page, for the sweep over every duration. */
static const struct {
  const char *model, *mode, *version;
  gboolean    sound;
  ClapPrice   per_second;
} per_second_rates[] = {
  { "kling-v3", "std", NULL, FALSE, 633 },
  { "kling-v3", "std", NULL, TRUE, 956 },
  { "kling-v3", "pro", NULL, FALSE, 853 },
  { "kling-v3", "pro", NULL, TRUE, 1280 },
  { "kling-motion-control", "std", "2.6", FALSE, 600 },
  { "kling-motion-control", "pro", "2.6", FALSE, 1000 },
  { "kling-motion-control", "std", "3.0", FALSE, 1200 },
  { "kling-motion-control", "pro", "3.0", FALSE, 1500 },
};

static void
test_estimate_rows (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (expected_prices); i++)
    {
      ClapPrice price = -1;
      g_autofree char *text = NULL;

      g_test_message ("row %u: %s %s %u s", i, expected_prices[i].model,
                      expected_prices[i].mode, expected_prices[i].seconds);
      g_assert_true (clap_catalog_estimate (expected_prices[i].model, expected_prices[i].mode,
                                            expected_prices[i].version, expected_prices[i].sound,
                                            expected_prices[i].voice, expected_prices[i].seconds,
                                            &price));
      text = clap_price_format (price);
      g_assert_cmpstr (text, ==, expected_prices[i].price);
    }
}

static void
test_estimate_every_second (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (per_second_rates); i++)
    {
      const ClapModelSpec *model = clap_catalog_find_model (per_second_rates[i].model);

      for (guint s = 0; s <= 40; s++)
        {
          ClapPrice price = -1;
          gboolean ok = clap_catalog_estimate (model->id, per_second_rates[i].mode,
                                               per_second_rates[i].version,
                                               per_second_rates[i].sound, FALSE, s, &price);
          if (s < model->min_duration || s > model->max_duration)
            g_assert_false (ok);
          else
            {
              g_assert_true (ok);
              g_assert_cmpint (price, ==, per_second_rates[i].per_second * s);
            }
        }
    }
}

static void
test_estimate_every_table_row (void)
{
  guint n_rows = 0;
  const ClapPriceRow *rows = clap_catalog_get_price_rows (&n_rows);

  /* 8 per-clip rows for 2.6, 4 per-second for v3, 4 for motion control */
  g_assert_cmpuint (n_rows, ==, 16);

  for (guint i = 0; i < n_rows; i++)
    {
      const ClapModelSpec *model = clap_catalog_find_model (rows[i].model);
      guint seconds = rows[i].seconds ? rows[i].seconds : model->min_duration;
      ClapPrice price = 0;
      gboolean found = FALSE;

      g_assert_nonnull (model);
      g_assert_true (clap_catalog_estimate (rows[i].model, rows[i].mode, rows[i].version,
                                            rows[i].sound, rows[i].voice, seconds, &price));

      /* Every row of the catalogue is one of the page's. */
      for (guint j = 0; j < G_N_ELEMENTS (expected_prices); j++)
        if (g_str_equal (expected_prices[j].model, rows[i].model) &&
            g_str_equal (expected_prices[j].mode, rows[i].mode) &&
            g_strcmp0 (expected_prices[j].version, rows[i].version) == 0 &&
            expected_prices[j].sound == rows[i].sound &&
            expected_prices[j].voice == rows[i].voice)
          found = TRUE;
      g_assert_true (found);
    }
}

static void
test_estimate_unsold (void)
{
  ClapPrice price = 0;

  /* Audio on std is not sold for 2.6 */
  g_assert_false (clap_catalog_estimate ("kling-v2-6", "std", NULL, TRUE, FALSE, 5, &price));
  /* 7 s does not exist for 2.6 */
  g_assert_false (clap_catalog_estimate ("kling-v2-6", "pro", NULL, FALSE, FALSE, 7, &price));
  /* v3 has no voice price */
  g_assert_false (clap_catalog_estimate ("kling-v3", "pro", NULL, TRUE, TRUE, 5, &price));
  g_assert_false (clap_catalog_estimate ("kling-v3", "pro", NULL, FALSE, FALSE, 16, &price));
  g_assert_false (clap_catalog_estimate ("kling-v3", "pro", NULL, FALSE, FALSE, 2, &price));
  /* motion control needs a version */
  g_assert_false (clap_catalog_estimate ("kling-motion-control", "pro", NULL, FALSE, FALSE, 5, &price));
  g_assert_false (clap_catalog_estimate ("kling-motion-control", "pro", "4.0", FALSE, FALSE, 5, &price));
  g_assert_false (clap_catalog_estimate ("kling-motion-control", "pro", "2.6", FALSE, FALSE, 31, &price));
  g_assert_false (clap_catalog_estimate ("kling-v9", "pro", NULL, FALSE, FALSE, 5, &price));
  g_assert_false (clap_catalog_estimate ("kling-v3", "ultra", NULL, FALSE, FALSE, 5, &price));
}

static void
test_price_format (void)
{
  struct { ClapPrice p; const char *s; } cases[] = {
    { 0, "$0.0000" }, { 1, "$0.0001" }, { 159, "$0.0159" }, { 10000, "$1.0000" },
    { 123456, "$12.3456" }, { -531, "-$0.0531" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *s = clap_price_format (cases[i].p);
      g_assert_cmpstr (s, ==, cases[i].s);
    }
}

static void
test_models (void)
{
  const ClapModelSpec *v26 = clap_catalog_find_model ("kling-v2-6");
  const ClapModelSpec *v3 = clap_catalog_find_model ("kling-v3");
  const ClapModelSpec *mc = clap_catalog_find_model ("kling-motion-control");

  g_assert_cmpuint (clap_catalog_get_n_models (), ==, 3);
  g_assert_nonnull (v26);
  g_assert_nonnull (v3);
  g_assert_nonnull (mc);
  g_assert_null (clap_catalog_find_model ("kling-v1"));
  g_assert_true (clap_catalog_model_from_wire ("kling-video/kling-v2-6") == v26);
  g_assert_true (clap_catalog_model_from_wire ("kling-v3") == v3);

  /* durations */
  g_assert_true (clap_model_allows_duration (v26, 5));
  g_assert_true (clap_model_allows_duration (v26, 10));
  g_assert_false (clap_model_allows_duration (v26, 7));
  for (guint s = 0; s < 20; s++)
    g_assert_cmpint (clap_model_allows_duration (v3, s), ==, s >= 3 && s <= 15);

  /* what each model takes */
  g_assert_true (clap_model_has_option (v26, CLAP_OPTION_VOICES));
  g_assert_false (clap_model_has_option (v3, CLAP_OPTION_VOICES));
  g_assert_true (clap_model_has_option (v3, CLAP_OPTION_SOUND));
  g_assert_true (clap_model_has_option (v3, CLAP_OPTION_IMAGE_TAIL));
  g_assert_false (clap_model_has_option (mc, CLAP_OPTION_ASPECT_RATIO));
  g_assert_false (clap_model_has_option (mc, CLAP_OPTION_NEGATIVE_PROMPT));
  g_assert_true (clap_model_has_option (mc, CLAP_OPTION_MOTION_VIDEO));
  g_assert_true (clap_model_has_option (mc, CLAP_OPTION_CHARACTER_ORIENTATION));
  g_assert_true (clap_model_has_option (mc, CLAP_OPTION_KEEP_ORIGINAL_SOUND));
  g_assert_true (clap_model_has_option (mc, CLAP_OPTION_VERSION));
  for (guint i = 0; i < clap_catalog_get_n_models (); i++)
    g_assert_true (clap_model_has_option (clap_catalog_get_model (i), CLAP_OPTION_CALLBACK_URL));

  g_assert_true ((v26->flags & CLAP_MODEL_SOUND_NEEDS_PRO) != 0);
  g_assert_false ((v3->flags & CLAP_MODEL_SOUND_NEEDS_PRO) != 0);
  g_assert_cmpuint (v26->max_voices, ==, 2);

  /* wire names of the contract */
  g_assert_cmpstr (clap_model_get_option (v26, CLAP_OPTION_VOICES)->wire_name, ==, "voice_list");
  g_assert_cmpstr (clap_model_get_option (v26, CLAP_OPTION_IMAGE_TAIL)->wire_name, ==, "image_tail");
  g_assert_cmpstr (clap_model_get_option (mc, CLAP_OPTION_MOTION_VIDEO)->wire_name, ==, "motion_video");
  g_assert_cmpstr (clap_option_find_choice (clap_model_get_option (mc, CLAP_OPTION_KEEP_ORIGINAL_SOUND),
                                            "on")->wire_value, ==, "yes");
  g_assert_cmpstr (clap_option_get_name (CLAP_OPTION_ASPECT_RATIO), ==, "aspect-ratio");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/catalog/models", test_models);
  g_test_add_func ("/core/catalog/estimate/page-rows", test_estimate_rows);
  g_test_add_func ("/core/catalog/estimate/every-second", test_estimate_every_second);
  g_test_add_func ("/core/catalog/estimate/every-table-row", test_estimate_every_table_row);
  g_test_add_func ("/core/catalog/estimate/unsold", test_estimate_unsold);
  g_test_add_func ("/core/catalog/price-format", test_price_format);

  return g_test_run ();
}
