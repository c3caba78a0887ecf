/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ui-test-util.h"

#include "clap-test-files.h"

#include <string.h>
#include <gmodule.h>

#include "clap-application.h"
#include "clap-preferences.h"
#include "clap-sim-server.h"
#include "clap-task-row.h"
#include "clap-window-private.h"
#include "clap-composer-private.h"

#ifdef GDK_WINDOWING_X11
#include <gdk/x11/gdkx.h>
#endif

/* The whole flow without a mouse. Keys are typed for real: XTest asks the
 * X server to make the key events, which reach the window as a keyboard's
 * do, through GDK, the capture and bubble phases, the shortcut controllers
 * and the widgets' own key handling. Emitting actions, or calling
 * gtk_widget_child_focus(), would skip exactly what can go wrong (a text
 * view that eats Ctrl+Return, an accelerator nobody set, a Tab stop that
 * leads nowhere). */

typedef struct {
  ClapSimServer *sim;
  char          *base;
  char          *dir;
  ClapWindow    *window;
  ClapSession   *session;
} Fixture;

static ClapApplication *app;

/* Real key presses ---------------------------------------------------------- */

#ifdef GDK_WINDOWING_X11
typedef int (*FakeKeyEvent) (Display *display, unsigned int keycode, Bool is_press,
                             unsigned long delay);
static FakeKeyEvent fake_key_event;
#endif

/* Why keys cannot be typed here, if they cannot. */
static const char *no_keyboard;

/* XTest is loaded at run time (libXtst.so.6, which at-spi2-core brings),
 * so building the tests needs no X headers beyond GTK's own. */
static void
load_keyboard (void)
{
#ifdef GDK_WINDOWING_X11
  GModule *xtst;

  if (!GDK_IS_X11_DISPLAY (gdk_display_get_default ()))
    {
      no_keyboard = "real key presses need an X display (run under xvfb-run)";
      return;
    }
  xtst = g_module_open ("libXtst.so.6", G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
  if (xtst == NULL || !g_module_symbol (xtst, "XTestFakeKeyEvent", (gpointer *) &fake_key_event))
    g_error ("cannot load XTest (install libxtst6): %s", g_module_error ());
#else
  no_keyboard = "real key presses need GTK's X11 backend";
#endif
}

static gboolean
keyboard_ready (void)
{
  if (no_keyboard != NULL)
    g_test_skip (no_keyboard);
  return no_keyboard == NULL;
}

#ifdef GDK_WINDOWING_X11
static guint
keycode_for (guint keyval)
{
  g_autofree GdkKeymapKey *keys = NULL;
  int n_keys = 0;

  if (!gdk_display_map_keyval (gdk_display_get_default (), keyval, &keys, &n_keys) || n_keys == 0)
    g_error ("no key makes %s", gdk_keyval_name (keyval));
  return keys[0].keycode;
}
#endif

/* Presses and releases @keyval with @modifiers held, as a person does. */
static void
press (guint           keyval,
       GdkModifierType modifiers)
{
#ifdef GDK_WINDOWING_X11
  GdkDisplay *display = gdk_display_get_default ();
  Display *xdisplay = gdk_x11_display_get_xdisplay (display);
  const struct { GdkModifierType mask; guint keyval; } held[] = {
    { GDK_CONTROL_MASK, GDK_KEY_Control_L },
    { GDK_SHIFT_MASK, GDK_KEY_Shift_L },
    { GDK_ALT_MASK, GDK_KEY_Alt_L },
  };
  guint code = keycode_for (keyval);

  for (guint i = 0; i < G_N_ELEMENTS (held); i++)
    if (modifiers & held[i].mask)
      fake_key_event (xdisplay, keycode_for (held[i].keyval), True, 0);
  fake_key_event (xdisplay, code, True, 0);
  fake_key_event (xdisplay, code, False, 0);
  for (guint i = G_N_ELEMENTS (held); i > 0; i--)
    if (modifiers & held[i - 1].mask)
      fake_key_event (xdisplay, keycode_for (held[i - 1].keyval), False, 0);
  gdk_display_flush (display);
#else
  g_assert_not_reached ();
#endif
}

/* Waiting ------------------------------------------------------------------- */

#ifdef GDK_WINDOWING_X11
static gboolean
window_active (gpointer data)
{
  return gtk_window_is_active (GTK_WINDOW (data));
}
#endif

static gboolean
widget_mapped (gpointer data)
{
  return gtk_widget_get_mapped (GTK_WIDGET (data));
}

typedef struct {
  GtkWindow *window;
  GtkWidget *before;
} FocusMove;

static gboolean
focus_moved (gpointer data)
{
  FocusMove *move = data;
  return gtk_window_get_focus (move->window) != move->before;
}

/* Presses a key that moves the focus; returns where it went. */
static GtkWidget *
press_to_move (Fixture         *fx,
               guint            keyval,
               GdkModifierType  modifiers)
{
  FocusMove move = { GTK_WINDOW (fx->window), gtk_window_get_focus (GTK_WINDOW (fx->window)) };

  press (keyval, modifiers);
  ui_test_wait_for (focus_moved, &move, 10, "the focus to move");
  return gtk_window_get_focus (GTK_WINDOW (fx->window));
}

/* Presenting a window already shown gives it the keyboard focus (without
 * a window manager, GDK sets the X input focus itself). */
static void
take_keyboard_focus (GtkWindow *window)
{
#ifdef GDK_WINDOWING_X11
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));

  /* With the server's time now: the X server ignores a focus request
   * older than the last focus change (a dialog that just closed). */
  gtk_window_present_with_time (window, gdk_x11_get_server_time (surface));
  ui_test_wait_for (window_active, window, 10, "the window to have the keyboard focus");
#endif
}

/* The window and its takes ---------------------------------------------------- */

static ClapSession *
make_session (Fixture *fx)
{
  return ui_test_session_new (fx->dir, fx->base, "keyboard-key");
}

static void
setup (Fixture       *fx,
       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fx->dir = g_dir_make_tmp ("clap-keyboard-XXXXXX", NULL);
  fx->sim = ui_test_sim_new (150, 400, &fx->base);

  fx->window = clap_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (fx->window), 1100, 800);
  fx->session = make_session (fx);
  clap_window_set_session (fx->window, fx->session, FALSE);
  gtk_window_present (GTK_WINDOW (fx->window));
  ui_test_wait_for (widget_mapped, fx->window, 10, "the window to show");

  if (no_keyboard == NULL)
    take_keyboard_focus (GTK_WINDOW (fx->window));
}

static void
teardown (Fixture       *fx,
          gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (fx->window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&fx->session);
  g_clear_object (&fx->sim);
  clap_test_rm_rf (fx->dir);
  g_free (fx->dir);
  g_free (fx->base);
}

static const char *
describe (GtkWidget *widget)
{
  static char text[256];
  const char *name = NULL;

  if (widget == NULL)
    return "nothing";
  if (GTK_IS_BUTTON (widget))
    name = gtk_button_get_label (GTK_BUTTON (widget));
  if (name == NULL)
    name = gtk_widget_get_tooltip_text (widget);
  g_snprintf (text, sizeof text, "%s%s%s%s", G_OBJECT_TYPE_NAME (widget),
              name ? " \"" : "", name ? name : "", name ? "\"" : "");
  return text;
}

static guint
n_takes (Fixture *fx)
{
  return g_list_model_get_n_items (G_LIST_MODEL (clap_session_get_store (fx->session)));
}

static gboolean
all_downloaded (gpointer data)
{
  Fixture *fx = data;
  GListModel *store = G_LIST_MODEL (clap_session_get_store (fx->session));

  for (guint i = 0; i < g_list_model_get_n_items (store); i++)
    {
      g_autoptr(ClapTask) task = g_list_model_get_item (store, i);
      if (clap_task_get_local_file (task) == NULL)
        return FALSE;
    }
  return TRUE;
}

/* Two finished takes, newest first: "A blue whale", "A red fox". */
static void
make_two_takes (Fixture *fx)
{
  ClapRequest *request = clap_composer_get_request (fx->window->composer);

  clap_request_set_model (request, "kling-v2-6");
  clap_request_set_duration (request, 5);
  clap_request_set_prompt (request, "A red fox");
  clap_composer_generate (fx->window->composer);
  clap_request_set_prompt (request, "A blue whale");
  clap_composer_generate (fx->window->composer);
  g_assert_cmpuint (n_takes (fx), ==, 2);
  ui_test_wait_for (all_downloaded, fx, 60, "both takes to complete and download");
}

static gboolean
shows_task (GtkWidget     *widget,
            gconstpointer  task)
{
  return CLAP_IS_TASK_ROW (widget) && clap_task_row_get_task (CLAP_TASK_ROW (widget)) == task;
}

/* The row showing @task, if the list made one. */
static ClapTaskRow *
find_row (GtkWidget *root,
          ClapTask  *task)
{
  return (ClapTaskRow *) ui_test_find_widget (root, shows_task, task);
}

static ClapTask *
task_at (Fixture *fx,
         guint    position)
{
  g_autoptr(ClapTask) task = g_list_model_get_item (G_LIST_MODEL (fx->window->filtered), position);
  return task;
}

static gboolean
inside (GtkWidget *widget,
        gpointer   ancestor)
{
  return widget != NULL && (widget == ancestor || gtk_widget_is_ancestor (widget, ancestor));
}

static gboolean
is_row_button (GtkWidget  *widget,
               const char *tooltip)
{
  return GTK_IS_BUTTON (widget) && gtk_widget_get_ancestor (widget, CLAP_TYPE_TASK_ROW) != NULL &&
         g_strcmp0 (gtk_widget_get_tooltip_text (widget), tooltip) == 0;
}

/* The accelerators ------------------------------------------------------------ */

static const struct {
  const char *action;
  const char *accels[3];
} expected_accels[] = {
  { "win.generate", { "<Control>Return", "<Control>KP_Enter" } },
  { "win.paste", { "<Control>v" } },
  { "win.search", { "<Control>f" } },
  { "win.save", { "<Control>s" } },
  { "app.preferences", { "<Control>comma" } },
  { "app.quit", { "<Control>q" } },
  { "win.show-help-overlay", { "<Control>question" } },
};

/* Each action has the keys the shortcuts window promises, each key one
 * action, and no action has keys nobody documented. */
static void
test_accelerators (void)
{
  g_auto(GStrv) described = gtk_application_list_action_descriptions (GTK_APPLICATION (app));

  g_assert_cmpuint (g_strv_length (described), ==, G_N_ELEMENTS (expected_accels));

  for (guint i = 0; i < G_N_ELEMENTS (expected_accels); i++)
    {
      g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app),
                                                                    expected_accels[i].action);
      guint n = 0;

      g_assert_true (g_strv_contains ((const char * const *) described, expected_accels[i].action));
      while (n < G_N_ELEMENTS (expected_accels[i].accels) && expected_accels[i].accels[n] != NULL)
        n++;
      g_assert_cmpuint (g_strv_length (accels), ==, n);

      for (guint j = 0; j < n; j++)
        {
          g_auto(GStrv) actions = NULL;

          g_assert_true (g_strv_contains ((const char * const *) accels, expected_accels[i].accels[j]));
          actions = gtk_application_get_actions_for_accel (GTK_APPLICATION (app),
                                                           expected_accels[i].accels[j]);
          g_assert_cmpuint (g_strv_length (actions), ==, 1);
          g_assert_cmpstr (actions[0], ==, expected_accels[i].action);
        }
    }
}

/* Keys a widget class binds to an action of the application's own
 * ("win.", "player."): GTK's own bindings are GTK's to document. */
static void
collect_bindings (GtkWidget  *widget,
                  GHashTable *keys)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;

      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
          GtkShortcutTrigger *trigger = gtk_shortcut_get_trigger (shortcut);
          GtkShortcutAction *action = gtk_shortcut_get_action (shortcut);
          const char *name;
          guint keyval;

          if (!GTK_IS_KEYVAL_TRIGGER (trigger) || !GTK_IS_NAMED_ACTION (action))
            continue;
          name = gtk_named_action_get_action_name (GTK_NAMED_ACTION (action));
          if (!g_str_has_prefix (name, "win.") && !g_str_has_prefix (name, "player."))
            continue;

          /* The keypad's keys are the same keys to a person. */
          keyval = gtk_keyval_trigger_get_keyval (GTK_KEYVAL_TRIGGER (trigger));
          if (keyval == GDK_KEY_KP_Space)
            keyval = GDK_KEY_space;
          g_hash_table_insert (keys,
                               gtk_accelerator_name (keyval,
                                                     gtk_keyval_trigger_get_modifiers (GTK_KEYVAL_TRIGGER (trigger))),
                               g_strdup (name));
        }
    }
}

/* The shortcuts window lists every key the application and its widgets
 * answer, each once, and nothing they do not. */
static void
test_shortcuts_window (Fixture       *fx,
                       gconstpointer  data)
{
  g_autoptr(GtkBuilder) builder =
    gtk_builder_new_from_resource ("/app/clapboard/Clapboard/gtk/help-overlay.ui");
  GtkWindow *overlay = GTK_WINDOW (gtk_builder_get_object (builder, "help_overlay"));
  g_autoptr(GSList) objects = gtk_builder_get_objects (builder);
  g_autoptr(GHashTable) bindings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) listed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) listed_actions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto(GStrv) described = gtk_application_list_action_descriptions (GTK_APPLICATION (app));

  g_assert_true (GTK_IS_SHORTCUTS_WINDOW (overlay));
  g_assert_nonnull (gtk_window_get_title (overlay));

  collect_bindings (GTK_WIDGET (fx->window), bindings);
  collect_bindings (GTK_WIDGET (fx->window->player), bindings);
  /* What the application is known to bind itself: if this changes, the
   * shortcuts window must follow. */
  g_assert_cmpstr (g_hash_table_lookup (bindings, "Escape"), ==, "win.close-preview");
  g_assert_cmpstr (g_hash_table_lookup (bindings, "space"), ==, "player.play-pause");

  for (GSList *l = objects; l != NULL; l = l->next)
    {
      g_autofree char *action = NULL;
      g_autofree char *accelerator = NULL;
      g_autofree char *title = NULL;
      g_auto(GStrv) keys = NULL;

      if (!GTK_IS_SHORTCUTS_SHORTCUT (l->data))
        continue;
      g_object_get (l->data, "action-name", &action, "accelerator", &accelerator, "title", &title,
                    NULL);
      g_test_message ("shortcuts window: %s: %s", title, action ? action : accelerator);

      if (action != NULL)
        {
          /* Shown with the keys the application sets for it */
          keys = gtk_application_get_accels_for_action (GTK_APPLICATION (app), action);
          if (g_strv_length (keys) == 0)
            g_error ("“%s” names %s, which has no keys", title, action);
          if (!g_hash_table_add (listed_actions, g_steal_pointer (&action)))
            g_error ("“%s” lists an action listed already", title);
        }
      else
        {
          /* A key a widget answers itself */
          g_auto(GStrv) parts = g_strsplit (accelerator ? accelerator : "", " ", -1);
          GPtrArray *normal = g_ptr_array_new ();

          for (guint i = 0; parts[i] != NULL; i++)
            {
              guint keyval = 0;
              GdkModifierType modifiers = 0;

              if (*parts[i] == '\0')
                continue;
              if (!gtk_accelerator_parse (parts[i], &keyval, &modifiers))
                g_error ("“%s” lists “%s”, which is no key", title, parts[i]);
              g_ptr_array_add (normal, gtk_accelerator_name (keyval, modifiers));
              if (!g_hash_table_contains (bindings, g_ptr_array_index (normal, normal->len - 1)))
                g_error ("“%s” lists %s, which nothing in Clapboard answers", title, parts[i]);
            }
          g_ptr_array_add (normal, NULL);
          keys = (GStrv) g_ptr_array_free (normal, FALSE);
          if (g_strv_length (keys) == 0)
            g_error ("“%s” lists no key", title);
        }

      for (guint i = 0; keys[i] != NULL; i++)
        if (!g_hash_table_add (listed, g_strdup (keys[i])))
          g_error ("%s is listed twice in the shortcuts window", keys[i]);
    }

  /* Every key is there */
  for (guint i = 0; described[i] != NULL; i++)
    if (!g_hash_table_contains (listed_actions, described[i]))
      g_error ("the shortcuts window does not list %s", described[i]);
  {
    GHashTableIter iter;
    gpointer key, value;

    g_hash_table_iter_init (&iter, bindings);
    while (g_hash_table_iter_next (&iter, &key, &value))
      if (!g_hash_table_contains (listed, key))
        g_error ("the shortcuts window does not list %s (%s)", (char *) key, (char *) value);
  }
  gtk_window_destroy (overlay);
}

/* Tab and Shift+Tab ------------------------------------------------------------ */

typedef struct {
  const char *what;
  gboolean  (*is) (Fixture *fx, GtkWidget *focus);
} Stop;

static gboolean
stop_model (Fixture *fx, GtkWidget *focus)
{
  return focus == GTK_WIDGET (_clap_composer_get_model_row (fx->window->composer));
}

static gboolean
stop_prompt (Fixture *fx, GtkWidget *focus)
{
  return focus == GTK_WIDGET (_clap_composer_get_prompt_view (fx->window->composer));
}

static gboolean
stop_generate (Fixture *fx, GtkWidget *focus)
{
  return focus == GTK_WIDGET (_clap_composer_get_generate_button (fx->window->composer));
}

static gboolean
stop_preview (Fixture *fx, GtkWidget *focus)
{
  return is_row_button (focus, "Preview");
}

static gboolean
stop_save (Fixture *fx, GtkWidget *focus)
{
  return is_row_button (focus, "Save to the Download Folder");
}

static gboolean
stop_more (Fixture *fx, GtkWidget *focus)
{
  return is_row_button (focus, "More Actions");
}

static gboolean
stop_search (Fixture *fx, GtkWidget *focus)
{
  return focus == GTK_WIDGET (fx->window->search_button);
}

static const Stop stops[] = {
  { "the model row", stop_model },
  { "the prompt", stop_prompt },
  { "Generate", stop_generate },
  { "a take's Preview button", stop_preview },
  { "its Save button", stop_save },
  { "its menu button", stop_more },
  { "the search button", stop_search },
};

/* Where each stop first comes in @seen, or -1. */
static int
first_index (Fixture   *fx,
             GPtrArray *seen,
             const Stop *stop)
{
  for (guint i = 0; i < seen->len; i++)
    if (stop->is (fx, g_ptr_array_index (seen, i)))
      return (int) i;
  return -1;
}

/* Presses Tab (or Shift+Tab) round the whole window, from the model row
 * back to it, and returns the widgets the focus visited. Every stop shows
 * its focus. */
static GPtrArray *
tab_round (Fixture         *fx,
           GdkModifierType  modifiers)
{
  GtkWidget *start = GTK_WIDGET (_clap_composer_get_model_row (fx->window->composer));
  GPtrArray *seen = g_ptr_array_new ();

  for (guint i = 0; i < 80; i++)
    {
      GtkWidget *focus = press_to_move (fx, GDK_KEY_Tab, modifiers);

      g_test_message ("%s %s", modifiers ? "Shift+Tab:" : "Tab:", describe (focus));
      g_assert_true (gtk_widget_get_mapped (focus));
      g_assert_true (gtk_window_get_focus_visible (GTK_WINDOW (fx->window)));
      g_assert_true (gtk_widget_get_state_flags (focus) & GTK_STATE_FLAG_FOCUS_VISIBLE);
      if (focus == start)
        return seen;
      g_ptr_array_add (seen, focus);
    }
  g_error ("Tab never came back to the model row");
}

static void
test_tab_order (Fixture       *fx,
                gconstpointer  data)
{
  g_autoptr(GPtrArray) forward = NULL;
  g_autoptr(GPtrArray) backward = NULL;
  GtkWidget *model_row = GTK_WIDGET (_clap_composer_get_model_row (fx->window->composer));
  int last = -1;

  if (!keyboard_ready ())
    return;

  make_two_takes (fx);
  clap_request_set_prompt (clap_composer_get_request (fx->window->composer), "A kite");

  /* from wherever the window put the focus, Tab reaches the composer */
  for (guint i = 0; i < 40 && gtk_window_get_focus (GTK_WINDOW (fx->window)) != model_row; i++)
    press_to_move (fx, GDK_KEY_Tab, 0);
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (fx->window)) == model_row);

  /* composer → Generate → the takes → a take's buttons → the header */
  forward = tab_round (fx, 0);
  g_ptr_array_insert (forward, 0, model_row);
  for (guint i = 0; i < G_N_ELEMENTS (stops); i++)
    {
      int at = first_index (fx, forward, &stops[i]);

      if (at < 0)
        g_error ("Tab never reaches %s", stops[i].what);
      if (at <= last)
        g_error ("Tab reaches %s before what comes before it", stops[i].what);
      last = at;
    }

  /* and Shift+Tab goes the same way back */
  backward = tab_round (fx, GDK_SHIFT_MASK);
  g_ptr_array_add (backward, model_row);
  last = -1;
  for (guint i = G_N_ELEMENTS (stops); i > 0; i--)
    {
      int at = first_index (fx, backward, &stops[i - 1]);

      if (at < 0)
        g_error ("Shift+Tab never reaches %s", stops[i - 1].what);
      if (at <= last)
        g_error ("Shift+Tab reaches %s out of order", stops[i - 1].what);
      last = at;
    }
  for (guint i = 0; i < forward->len; i++)
    if (!g_ptr_array_find (backward, g_ptr_array_index (forward, i), NULL))
      g_error ("Shift+Tab never reaches %s", describe (g_ptr_array_index (forward, i)));
}

/* Ctrl+Enter --------------------------------------------------------------------- */

static char *
prompt_text (Fixture *fx)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (_clap_composer_get_prompt_view (fx->window->composer));
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

typedef struct {
  Fixture *fx;
  guint    n;
} Count;

static gboolean
has_n_takes (gpointer data)
{
  Count *count = data;
  return n_takes (count->fx) == count->n;
}

/* Types @text, made of characters typed without Shift. */
static void
type_text (const char *text)
{
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    press (gdk_unicode_to_keyval (g_utf8_get_char (p)), 0);
}

typedef struct {
  Fixture    *fx;
  const char *text;
} Typed;

static gboolean
prompt_is (gpointer data)
{
  Typed *typed = data;
  g_autofree char *text = prompt_text (typed->fx);
  return g_str_equal (text, typed->text);
}

static gboolean
search_has_focus (gpointer data)
{
  Fixture *fx = data;

  return gtk_search_bar_get_search_mode (fx->window->search_bar) &&
         inside (gtk_window_get_focus (GTK_WINDOW (fx->window)), fx->window->search_entry);
}

/* The application's accelerator wins over the text view's own keys: the
 * take goes, and no line break lands in the prompt. */
static void
test_generate_keys (Fixture       *fx,
                    gconstpointer  data)
{
  ClapRequest *request = clap_composer_get_request (fx->window->composer);
  GtkWidget *prompt = GTK_WIDGET (_clap_composer_get_prompt_view (fx->window->composer));
  Typed typed = { fx, "a red fox" };
  Count count = { fx, 0 };

  if (!keyboard_ready ())
    return;

  clap_request_set_model (request, "kling-v2-6");
  clap_request_set_duration (request, 5);

  /* typed into the prompt */
  gtk_widget_grab_focus (prompt);
  type_text ("a red fox");
  ui_test_wait_for (prompt_is, &typed, 10, "the typed prompt");

  /* Ctrl+Return while typing */
  press (GDK_KEY_Return, GDK_CONTROL_MASK);
  count.n = 1;
  ui_test_wait_for (has_n_takes, &count, 10, "Ctrl+Return to send a take from the prompt");
  {
    g_autoptr(ClapTask) task = g_list_model_get_item (G_LIST_MODEL (clap_session_get_store (fx->session)), 0);
    g_autofree char *text = prompt_text (fx);

    g_assert_cmpstr (clap_task_get_prompt (task), ==, "a red fox");
    g_assert_cmpstr (text, ==, "a red fox");
    g_assert_true (gtk_widget_has_focus (prompt));
  }

  /* Ctrl+Enter on the keypad */
  press (GDK_KEY_KP_Enter, GDK_CONTROL_MASK);
  count.n = 2;
  ui_test_wait_for (has_n_takes, &count, 10, "Ctrl+KP_Enter to send a take");

  /* from the search entry (Ctrl+F puts the focus there) */
  press (GDK_KEY_f, GDK_CONTROL_MASK);
  ui_test_wait_for (search_has_focus, fx, 10, "Ctrl+F to put the focus in the search entry");
  press (GDK_KEY_Return, GDK_CONTROL_MASK);
  count.n = 3;
  ui_test_wait_for (has_n_takes, &count, 10, "Ctrl+Return to send a take from the search entry");

  /* from a take's button */
  ui_test_wait_for (all_downloaded, fx, 60, "the takes to complete");
  {
    ClapTaskRow *row = NULL;

    for (guint i = 0; i < 3 && row == NULL; i++)
      row = find_row (GTK_WIDGET (fx->window->takes_view), task_at (fx, i));
    g_assert_nonnull (row);
    g_assert_true (gtk_widget_child_focus (GTK_WIDGET (row), GTK_DIR_TAB_FORWARD));
    g_assert_true (inside (gtk_window_get_focus (GTK_WINDOW (fx->window)), row));
  }
  press (GDK_KEY_Return, GDK_CONTROL_MASK);
  count.n = 4;
  ui_test_wait_for (has_n_takes, &count, 10, "Ctrl+Return to send a take from the list");

  /* Return alone still breaks a line in the prompt, and sends nothing */
  gtk_widget_grab_focus (prompt);
  press (GDK_KEY_Return, 0);
  typed.text = "a red fox\n";
  ui_test_wait_for (prompt_is, &typed, 10, "Return to break the line");
  g_assert_cmpuint (n_takes (fx), ==, 4);
}

/* The list, the preview and the player ------------------------------------------ */

typedef struct {
  Fixture  *fx;
  ClapTask *task;
} Previewed;

static gboolean
is_previewing (gpointer data)
{
  Previewed *p = data;

  return clap_window_get_previewed (p->fx->window) == p->task &&
         clap_player_get_playing (p->fx->window->player);
}

static gboolean
player_paused (gpointer data)
{
  return !clap_player_get_playing (CLAP_PLAYER (data));
}

static gboolean
player_playing (gpointer data)
{
  return clap_player_get_playing (CLAP_PLAYER (data));
}

static gboolean
seek_bar_ready (gpointer data)
{
  Fixture *fx = data;

  return clap_player_get_duration (fx->window->player) > 0;
}

static gboolean
preview_closed (gpointer data)
{
  Fixture *fx = data;

  return clap_window_get_previewed (fx->window) == NULL &&
         !gtk_revealer_get_reveal_child (fx->window->preview_revealer) &&
         !clap_player_get_playing (fx->window->player);
}

static gboolean
preview_revealed (gpointer data)
{
  Fixture *fx = data;
  return gtk_revealer_get_child_revealed (fx->window->preview_revealer);
}

static gboolean
toast_gone (gpointer data)
{
  Fixture *fx = data;
  return ui_test_find_label (GTK_WIDGET (fx->window->toast_overlay), "Saved") == NULL;
}

typedef struct {
  GFile *folder;
  char  *name;
} Saved;

static gboolean
saved_in_folder (gpointer data)
{
  Saved *saved = data;
  g_autoptr(GFileEnumerator) e =
    g_file_enumerate_children (saved->folder, G_FILE_ATTRIBUTE_STANDARD_NAME, 0, NULL, NULL);
  g_autoptr(GFileInfo) info = e ? g_file_enumerator_next_file (e, NULL, NULL) : NULL;

  if (info == NULL || g_str_has_suffix (g_file_info_get_name (info), ".part"))
    return FALSE;
  saved->name = g_strdup (g_file_info_get_name (info));
  return TRUE;
}

/* Down moves to the next take, Return previews it, Space plays and pauses
 * it when the player has the focus, Ctrl+S saves it, Escape closes it. */
static void
test_list_and_preview (Fixture       *fx,
                       gconstpointer  data)
{
  GtkWidget *generate = GTK_WIDGET (_clap_composer_get_generate_button (fx->window->composer));
  ClapPlayer *player = fx->window->player;
  g_autofree char *folder_path = g_build_filename (fx->dir, "saved", NULL);
  g_autoptr(GFile) folder = g_file_new_for_path (folder_path);
  Previewed previewed = { fx, NULL };
  Saved saved = { folder, NULL };
  ClapTaskRow *rows[2];
  guint entered;
  GtkWidget *focus;

  if (!keyboard_ready ())
    return;

  make_two_takes (fx);
  clap_request_set_prompt (clap_composer_get_request (fx->window->composer), "A kite");
  for (guint i = 0; i < 2; i++)
    {
      rows[i] = find_row (GTK_WIDGET (fx->window->takes_view), task_at (fx, i));
      g_assert_nonnull (rows[i]);
    }

  /* Tab from Generate enters the list, at the take it was last on */
  gtk_widget_grab_focus (generate);
  focus = press_to_move (fx, GDK_KEY_Tab, 0);
  g_assert_true (inside (focus, rows[0]) || inside (focus, rows[1]));
  entered = inside (focus, rows[0]) ? 0 : 1;

  /* Down or Up: the other take */
  focus = press_to_move (fx, entered == 0 ? GDK_KEY_Down : GDK_KEY_Up, 0);
  g_assert_true (inside (GTK_WIDGET (rows[1 - entered]), focus) || inside (focus, rows[1 - entered]));
  g_assert_false (inside (focus, rows[entered]));

  /* Return: its preview plays */
  press (GDK_KEY_Return, 0);
  previewed.task = task_at (fx, 1 - entered);
  ui_test_wait_for (is_previewing, &previewed, 30, "Return to preview the other take");
  ui_test_wait_for (preview_revealed, fx, 10, "the preview to slide in");
  /* the seek bar takes the focus once the clip's length is known */
  ui_test_wait_for (seek_bar_ready, fx, 30, "the seek bar to know the clip's length");

  /* Space in the player: on the seek bar the player's own key, on the
   * play button the button's */
  for (guint i = 0; i < 30 && !GTK_IS_SCALE (focus); i++)
    {
      focus = press_to_move (fx, GDK_KEY_Tab, GDK_SHIFT_MASK);
      g_test_message ("Shift+Tab: %s", describe (focus));
    }
  g_assert_true (GTK_IS_SCALE (focus));
  g_assert_true (inside (focus, player));
  press (GDK_KEY_space, 0);
  ui_test_wait_for (player_paused, player, 10, "Space on the seek bar to pause");
  focus = press_to_move (fx, GDK_KEY_Tab, GDK_SHIFT_MASK);
  g_assert_true (GTK_IS_BUTTON (focus) && inside (focus, player));
  press (GDK_KEY_space, 0);
  ui_test_wait_for (player_playing, player, 10, "Space on the play button to play");

  /* Ctrl+S: the previewed clip goes to the download folder */
  g_settings_set_string (fx->window->settings, "download-folder", folder_path);
  g_assert_true (g_file_make_directory (folder, NULL, NULL));
  press (GDK_KEY_s, GDK_CONTROL_MASK);
  ui_test_wait_for (saved_in_folder, &saved, 10, "Ctrl+S to save the clip");
  g_assert_true (g_str_has_suffix (saved.name, entered == 0 ? "A red fox.mp4" : "A blue whale.mp4"));
  g_free (saved.name);
  g_settings_reset (fx->window->settings, "download-folder");

  /* Escape: first the "Saved" toast goes (libadwaita's toast overlay
   * takes Escape while it shows one), then the preview closes, and the
   * focus goes back to the takes */
  press (GDK_KEY_Escape, 0);
  ui_test_wait_for (toast_gone, fx, 10, "Escape to dismiss the toast");
  g_assert_true (gtk_revealer_get_reveal_child (fx->window->preview_revealer));
  press (GDK_KEY_Escape, 0);
  ui_test_wait_for (preview_closed, fx, 10, "Escape to close the preview");
  g_assert_true (inside (gtk_window_get_focus (GTK_WINDOW (fx->window)),
                         fx->window->takes_view));
}

static gboolean
shown_count_is (gpointer data)
{
  Count *count = data;
  return g_list_model_get_n_items (G_LIST_MODEL (count->fx->window->filtered)) == count->n;
}

/* Ctrl+F searches from anywhere; Escape closes the search first, then the
 * preview. */
static void
test_search_keys (Fixture       *fx,
                  gconstpointer  data)
{
  Count shown = { fx, 1 };

  if (!keyboard_ready ())
    return;

  make_two_takes (fx);
  clap_window_preview (fx->window, task_at (fx, 0));
  gtk_widget_grab_focus (GTK_WIDGET (_clap_composer_get_prompt_view (fx->window->composer)));

  /* the words typed at once after Ctrl+F are the search's */
  press (GDK_KEY_f, GDK_CONTROL_MASK);
  type_text ("fox");
  ui_test_wait_for (search_has_focus, fx, 10, "Ctrl+F to open the search");
  ui_test_wait_for (shown_count_is, &shown, 10, "the search to find the fox");

  press (GDK_KEY_Escape, 0);
  shown.n = 2;
  ui_test_wait_for (shown_count_is, &shown, 10, "Escape to end the search");
  g_assert_false (gtk_search_bar_get_search_mode (fx->window->search_bar));
  g_assert_true (gtk_revealer_get_reveal_child (fx->window->preview_revealer));
  /* the focus left the search for the takes */
  g_assert_true (inside (gtk_window_get_focus (GTK_WINDOW (fx->window)), fx->window->takes_view));

  press (GDK_KEY_Escape, 0);
  ui_test_wait_for (preview_closed, fx, 10, "a second Escape to close the preview");
}

static gboolean
preferences_shown (gpointer data)
{
  return ui_test_find_toplevel (CLAP_TYPE_PREFERENCES) != NULL;
}

static gboolean
shortcuts_shown (gpointer data)
{
  return ui_test_find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW) != NULL;
}

/* The other accelerators, pressed: Ctrl+, Ctrl+? and Ctrl+V in a text. */
static void
test_window_keys (Fixture       *fx,
                  gconstpointer  data)
{
  Typed typed = { fx, "pasted words" };

  if (!keyboard_ready ())
    return;

  /* Ctrl+V in the prompt pastes text there */
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (fx->window)), "pasted words");
  gtk_widget_grab_focus (GTK_WIDGET (_clap_composer_get_prompt_view (fx->window->composer)));
  press (GDK_KEY_v, GDK_CONTROL_MASK);
  ui_test_wait_for (prompt_is, &typed, 10, "Ctrl+V to paste into the prompt");

  /* Ctrl+, opens Preferences */
  press (GDK_KEY_comma, GDK_CONTROL_MASK);
  ui_test_wait_for (preferences_shown, NULL, 10, "Ctrl+, to open Preferences");
  gtk_window_close (ui_test_find_toplevel (CLAP_TYPE_PREFERENCES));
  take_keyboard_focus (GTK_WINDOW (fx->window));

  /* Ctrl+? shows the shortcuts */
  press (GDK_KEY_question, GDK_CONTROL_MASK | GDK_SHIFT_MASK);
  ui_test_wait_for (shortcuts_shown, NULL, 10, "Ctrl+? to show the shortcuts");
  gtk_window_close (ui_test_find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW));
}

int
main (int argc, char *argv[])
{
  g_autofree char *data_dir = g_dir_make_tmp ("clap-keyboard-data-XXXXXX", NULL);
  int status;

  g_setenv ("CLAPBOARD_DATA_DIR", data_dir, TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  load_keyboard ();

  app = ui_test_app_new ();

#define ADD(path, func) g_test_add ("/ui/keyboard/" path, Fixture, NULL, setup, func, teardown)
  g_test_add_func ("/ui/keyboard/accelerators", test_accelerators);
  ADD ("shortcuts-window", test_shortcuts_window);
  ADD ("tab-order", test_tab_order);
  ADD ("generate-keys", test_generate_keys);
  ADD ("list-and-preview", test_list_and_preview);
  ADD ("search-keys", test_search_keys);
  ADD ("window-keys", test_window_keys);

  status = g_test_run ();
  g_clear_object (&app);
  clap_test_rm_rf (data_dir);
  return status;
}
