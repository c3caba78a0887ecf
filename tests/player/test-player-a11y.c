/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-player-a11y"

#include "config.h"

#include "player-test-util.h"

static gboolean
is_control (GtkWidget *widget)
{
  /* A GtkMenuButton's inner button is part of it, named through it. */
  if (GTK_IS_MENU_BUTTON (gtk_widget_get_parent (widget)))
    return FALSE;

  return GTK_IS_BUTTON (widget) || GTK_IS_MENU_BUTTON (widget) || GTK_IS_RANGE (widget);
}

static void
collect_controls (GtkWidget *widget,
                  GPtrArray *controls)
{
  if (is_control (widget))
    g_ptr_array_add (controls, widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_controls (child, controls);
}

static GtkWidget *
find_control (GPtrArray  *controls,
              const char *action_name)
{
  for (guint i = 0; i < controls->len; i++)
    {
      GtkWidget *widget = controls->pdata[i];

      if (GTK_IS_ACTIONABLE (widget)
          && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action_name) == 0)
        return widget;
    }

  g_assert_not_reached ();
}

/* Every control can be found by a screen reader and explains itself. */
static void
test_names (void)
{
  ClapPlayer *player = g_object_ref_sink (clap_player_new ());
  g_autoptr(GPtrArray) controls = g_ptr_array_new ();
  guint ranges = 0;

  collect_controls (GTK_WIDGET (player), controls);

  /* Play, seek, loop, volume, and in the volume popover mute and level. */
  g_assert_cmpuint (controls->len, ==, 6);
  for (guint i = 0; i < controls->len; i++)
    {
      GtkWidget *control = controls->pdata[i];

      g_test_message ("%s: %s", G_OBJECT_TYPE_NAME (control),
                      gtk_widget_get_tooltip_text (control));
      g_assert_true (gtk_test_accessible_has_property (GTK_ACCESSIBLE (control),
                                                       GTK_ACCESSIBLE_PROPERTY_LABEL));
      g_assert_nonnull (gtk_widget_get_tooltip_text (control));
      if (GTK_IS_RANGE (control))
        ranges++;
    }
  g_assert_cmpuint (ranges, ==, 2);

  gtk_test_accessible_assert_property (find_control (controls, "player.play-pause"),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Play");
  gtk_test_accessible_assert_property (find_control (controls, "player.loop"),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Loop");
  gtk_test_accessible_assert_property (find_control (controls, "player.muted"),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Mute");
  gtk_test_accessible_assert_property (player, GTK_ACCESSIBLE_PROPERTY_LABEL, "Video player");

  g_assert_finalize_object (player);
}

/* The play button says what it will do, and the toggles show their state. */
static void
test_states (void)
{
  const PlayerFixtures *f = player_test_fixtures ();
  ClapPlayer *player = g_object_ref_sink (clap_player_new ());
  GtkWindow *window = player_test_window_new (player);
  g_autoptr(GPtrArray) controls = g_ptr_array_new ();
  GtkWidget *play;
  GtkWidget *loop;

  collect_controls (GTK_WIDGET (player), controls);
  play = find_control (controls, "player.play-pause");
  loop = find_control (controls, "player.loop");

  /* Nothing to play yet. */
  g_assert_false (gtk_widget_is_sensitive (play));

  clap_player_set_file (player, f->landscape);
  g_assert_true (gtk_widget_is_sensitive (play));
  player_test_wait_until (player_test_is_prerolled (player), 10000);

  /* A button activated from the keyboard clicks a moment later. */
  gtk_widget_activate (play);
  player_test_wait_until (clap_player_get_playing (player), 5000);
  gtk_test_accessible_assert_property (play, GTK_ACCESSIBLE_PROPERTY_LABEL, "Pause");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (play), ==, "Pause");
  player_test_wait_until (player_test_is_playing (player), 5000);

  gtk_widget_activate (play);
  player_test_wait_until (!clap_player_get_playing (player), 5000);
  gtk_test_accessible_assert_property (play, GTK_ACCESSIBLE_PROPERTY_LABEL, "Play");

  g_assert_false (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (loop)));
  clap_player_set_loop (player, TRUE);
  g_assert_true (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (loop)));
  gtk_widget_activate (loop);
  player_test_wait_until (!clap_player_get_loop (player), 5000);

  player_test_destroy_window (window);
  g_assert_finalize_object (player);
}

/* Space plays and pauses whenever the player has the focus. */
static void
test_shortcuts (void)
{
  ClapPlayer *player = g_object_ref_sink (clap_player_new ());
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (player));
  gboolean found_space = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;

      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
          g_autofree char *trigger = gtk_shortcut_trigger_to_string (
            gtk_shortcut_get_trigger (shortcut));
          g_autofree char *action = gtk_shortcut_action_to_string (
            gtk_shortcut_get_action (shortcut));

          if (g_strcmp0 (trigger, "space") == 0)
            {
              g_assert_cmpstr (action, ==, "action(player.play-pause)");
              found_space = TRUE;
            }
        }
    }

  g_assert_true (found_space);
  g_assert_true (gtk_widget_get_focusable (GTK_WIDGET (player)));

  g_clear_object (&controllers);
  g_assert_finalize_object (player);
}

int
main (int   argc,
      char *argv[])
{
  player_test_init (&argc, &argv);

  g_test_add_func ("/player/a11y/names", test_names);
  g_test_add_func ("/player/a11y/states", test_states);
  g_test_add_func ("/player/a11y/shortcuts", test_shortcuts);

  return g_test_run ();
}
