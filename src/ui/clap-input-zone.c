/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-input-zone"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "clap-catalog.h"
#include "clap-input-zone-private.h"
#include "clap-util-private.h"
#include "clap-media.h"
#include "clap-request.h"
#include "clap-thumbnailer.h"
#include "clap-transfer.h"

/* One reference input of the composer: a first or last frame, a character
 * image or a motion video. A file comes in by drag and drop, the file
 * chooser, the clipboard or a web address; a local file is probed and checked
 * against the provider's limits in a worker thread, and only a file that
 * passes becomes the zone's value. A refused file leaves the zone as it was
 * and says why, so nothing that would be refused is ever uploaded.
 */

/* Thumbnails are drawn at 96 × 72 logical pixels; twice that covers HiDPI. */
#define THUMBNAIL_SIZE 192

struct _ClapInputZone
{
  GtkWidget      parent_instance;

  ClapInputKind  kind;
  char          *title;
  char          *hint;
  double         max_seconds;

  char          *value;       /* the local path or URL in use; NULL when empty */
  gboolean       is_url;
  ClapMediaInfo  info;        /* of the local file in use */
  double         duration;    /* seconds, videos only; 0 when unknown */
  char          *error;
  GCancellable  *cancellable; /* the check or paste in flight, if any */
  GCancellable  *life;        /* clipboard reads and the file dialog */
  gboolean       busy;
  gboolean       syncing;

  GtkDropTarget *drop_target;
#if GTK_CHECK_VERSION (4, 10, 0)
  GtkFileDialog *dialog;
#else
  GtkFileChooserNative *chooser;
#endif

  /* template */
  GtkWidget     *box;
  GtkLabel      *title_label;
  GtkLabel      *hint_label;
  GtkStack      *stack;
  GtkImage      *empty_icon;
  GtkLabel      *empty_label;
  GtkLabel      *limits_label;
  GtkButton     *choose_button;
  GtkMenuButton *link_button;
  GtkPopover    *link_popover;
  GtkEntry      *url_entry;
  GtkSpinner    *spinner;
  GtkLabel      *checking_label;
  GtkPicture    *thumbnail;
  GtkImage      *thumbnail_icon;
  GtkLabel      *name_label;
  GtkLabel      *details_label;
  GtkWidget     *length_box;
  GtkSpinButton *length_spin;
  GtkButton     *remove_button;
  GtkWidget     *error_box;
  GtkLabel      *error_label;
};

G_DEFINE_FINAL_TYPE (ClapInputZone, clap_input_zone, GTK_TYPE_WIDGET)

G_DEFINE_ENUM_TYPE (ClapInputKind, clap_input_kind,
                    G_DEFINE_ENUM_VALUE (CLAP_INPUT_KIND_IMAGE, "image"),
                    G_DEFINE_ENUM_VALUE (CLAP_INPUT_KIND_VIDEO, "video"))

enum {
  PROP_0,
  PROP_KIND,
  PROP_TITLE,
  PROP_HINT,
  PROP_MAX_SECONDS,
  PROP_VALUE,
  PROP_DURATION,
  PROP_BUSY,
  PROP_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

ClapInputZone *
clap_input_zone_new (ClapInputKind kind)
{
  return g_object_new (CLAP_TYPE_INPUT_ZONE, "kind", kind, NULL);
}

/* State shown ------------------------------------------------------------- */

static void
set_error (ClapInputZone *self,
           const char    *message)
{
  if (g_strcmp0 (self->error, message) == 0)
    return;

  g_free (self->error);
  self->error = g_strdup (message);
  gtk_label_set_label (self->error_label, message ? message : "");
  gtk_widget_set_visible (self->error_box, message != NULL);
  if (message != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->stack), "has-error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->stack), "has-error");

  /* The refusal is the zone's accessible description too: a screen reader
   * says why a dropped file was not taken. */
  if (message != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, message,
                                    -1);
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

static void
set_busy (ClapInputZone *self,
          gboolean       busy,
          const char    *name)
{
  if (busy)
    {
      g_autofree char *text = g_strdup_printf (_("Checking “%s”…"), name ? name : "");

      gtk_label_set_label (self->checking_label, text);
      gtk_stack_set_visible_child_name (self->stack, "checking");
    }
  else
    {
      gtk_stack_set_visible_child_name (self->stack, self->value ? "filled" : "empty");
    }

  if (!busy && self->value != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->stack), "filled");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->stack), "filled");

  gtk_spinner_set_spinning (self->spinner, busy);

  if (self->busy != busy)
    {
      self->busy = busy;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
    }
}

static void
cancel_pending (ClapInputZone *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
}

static GCancellable *
start_pending (ClapInputZone *self)
{
  cancel_pending (self);
  self->cancellable = g_cancellable_new ();
  return self->cancellable;
}

static void
update_texts (ClapInputZone *self)
{
  g_autofree char *limits = NULL;
  g_autofree char *max_size = NULL;
  gboolean video = self->kind == CLAP_INPUT_KIND_VIDEO;

  gtk_label_set_label (self->title_label, self->title ? self->title : "");
  gtk_label_set_label (self->hint_label, self->hint ? self->hint : "");
  gtk_widget_set_visible (GTK_WIDGET (self->hint_label), self->hint != NULL);

  gtk_image_set_from_icon_name (self->empty_icon,
                                video ? "camera-video-symbolic" : "insert-image-symbolic");
  gtk_label_set_label (self->empty_label, video
                       ? _("Drop a video here or paste one")
                       : _("Drop an image here or paste one"));

  max_size = g_format_size (video ? CLAP_VIDEO_MAX_BYTES : CLAP_IMAGE_MAX_BYTES);
  if (video)
    /* Translators: "MP4 or MOV · 3–30 s · up to 100.0 MB" */
    limits = g_strdup_printf (_("MP4 or MOV · %.0f–%.0f s · up to %s"),
                              CLAP_VIDEO_MIN_SECONDS, self->max_seconds, max_size);
  else
    /* Translators: "PNG or JPEG · 300 px or more a side · up to 10.0 MB" */
    limits = g_strdup_printf (_("PNG or JPEG · %u px or more a side · up to %s"),
                              CLAP_IMAGE_MIN_SIDE, max_size);
  gtk_label_set_label (self->limits_label, limits);

  if (self->title != NULL)
    {
      g_autofree char *choose = g_strdup_printf (_("Choose a file for %s"), self->title);
      g_autofree char *link = g_strdup_printf (_("Use a web address for %s"), self->title);
      g_autofree char *remove = g_strdup_printf (_("Remove %s"), self->title);

      gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, self->title, -1);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->choose_button),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, choose, -1);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->link_button),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, link, -1);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->remove_button),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, remove, -1);
    }
}

static void
show_value (ClapInputZone *self,
            GdkTexture    *texture)
{
  gboolean video = self->kind == CLAP_INPUT_KIND_VIDEO;

  gtk_picture_set_paintable (self->thumbnail, GDK_PAINTABLE (texture));
  gtk_widget_set_visible (GTK_WIDGET (self->thumbnail_icon), texture == NULL);
  gtk_widget_set_visible (self->length_box, video && self->is_url);

  if (self->value == NULL)
    {
      gtk_label_set_label (self->name_label, "");
      gtk_label_set_label (self->details_label, "");
      return;
    }

  if (self->is_url)
    {
      g_autoptr(GUri) uri = g_uri_parse (self->value, G_URI_FLAGS_NONE, NULL);
      const char *path = uri ? g_uri_get_path (uri) : NULL;
      g_autofree char *base = path && *path && !g_str_equal (path, "/")
                              ? g_path_get_basename (path) : NULL;
      g_autofree char *name = base ? g_uri_unescape_string (base, NULL) : NULL;
      g_autofree char *details = g_strdup_printf (_("Web address · %s"),
                                                  uri ? g_uri_get_host (uri) : self->value);

      gtk_image_set_from_icon_name (self->thumbnail_icon, "insert-link-symbolic");
      gtk_label_set_label (self->name_label, name ? name : self->value);
      gtk_label_set_label (self->details_label, details);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->name_label), self->value);

      self->syncing = TRUE;
      gtk_spin_button_set_value (self->length_spin, self->duration);
      self->syncing = FALSE;
    }
  else
    {
      g_autofree char *name = g_filename_display_basename (self->value);
      g_autofree char *details = clap_media_describe (&self->info);
      g_autofree char *tooltip = g_filename_display_name (self->value);

      gtk_image_set_from_icon_name (self->thumbnail_icon,
                                    video ? "camera-video-symbolic" : "image-x-generic-symbolic");
      gtk_label_set_label (self->name_label, name);
      gtk_label_set_label (self->details_label, details);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->name_label), tooltip);
    }
}

/* Makes @value (owned) the zone's value and says so. */
static void
take_value (ClapInputZone       *self,
            char                *value,
            gboolean             is_url,
            const ClapMediaInfo *info,
            double               duration,
            GdkTexture          *texture)
{
  gboolean changed = g_strcmp0 (self->value, value) != 0;

  g_object_freeze_notify (G_OBJECT (self));

  g_free (self->value);
  self->value = value;
  self->is_url = is_url;
  if (info != NULL)
    self->info = *info;
  else
    memset (&self->info, 0, sizeof self->info);

  if (self->duration != duration)
    {
      self->duration = duration;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DURATION]);
    }

  show_value (self, texture);
  set_error (self, NULL);
  set_busy (self, FALSE, NULL);
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VALUE]);

  g_object_thaw_notify (G_OBJECT (self));
}

/* Checking a local file ---------------------------------------------------- */

typedef struct {
  GFile         *file;
  char          *path;
  ClapInputKind  kind;
  double         max_seconds;
  ClapMediaInfo  info;
  GdkTexture    *texture;
} Probe;

static void
probe_free (Probe *probe)
{
  g_clear_object (&probe->file);
  g_clear_object (&probe->texture);
  g_free (probe->path);
  g_free (probe);
}

static gboolean
check_info (ClapInputKind        kind,
            const ClapMediaInfo *info,
            double               max_seconds,
            GError             **error)
{
  if (kind == CLAP_INPUT_KIND_VIDEO)
    return clap_media_check_video (info, max_seconds, error);
  return clap_media_check_image (info, error);
}

static GdkTexture *
make_thumbnail (Probe   *probe,
                GError **error)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GdkPixbuf) oriented = NULL;

  if (probe->kind == CLAP_INPUT_KIND_VIDEO)
    return clap_thumbnailer_extract (probe->path, THUMBNAIL_SIZE, error);

  /* Decoded at thumbnail size: a 6000 × 4000 photo never exists in full. */
  pixbuf = gdk_pixbuf_new_from_file_at_scale (probe->path, THUMBNAIL_SIZE, THUMBNAIL_SIZE,
                                              TRUE, error);
  if (pixbuf == NULL)
    return NULL;

  oriented = gdk_pixbuf_apply_embedded_orientation (pixbuf);
  return gdk_texture_new_for_pixbuf (oriented);
}

static void
probe_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Probe *probe = task_data;
  g_autoptr(GError) thumb_error = NULL;
  GError *error = NULL;

  if (probe->path == NULL)
    {
      g_autofree char *name = g_file_get_parse_name (probe->file);

      g_task_return_new_error (task, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_NOT_FOUND,
                               _("“%s” is not on this computer; copy it to a local folder "
                                 "first."), name);
      return;
    }

  if (!clap_media_probe_file (probe->file, &probe->info, cancellable, &error) ||
      !check_info (probe->kind, &probe->info, probe->max_seconds, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    return;

  /* A file that passes the checks but cannot be drawn is still usable. */
  probe->texture = make_thumbnail (probe, &thumb_error);
  if (probe->texture == NULL)
    g_debug ("No thumbnail for %s: %s", probe->path,
             thumb_error ? thumb_error->message : "no frame");

  g_task_return_boolean (task, TRUE);
}

static void
probe_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  ClapInputZone *self = CLAP_INPUT_ZONE (source);
  Probe *probe = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      g_clear_object (&self->cancellable);
      set_busy (self, FALSE, NULL);
      set_error (self, error->message);
      return;
    }

  g_clear_object (&self->cancellable);
  take_value (self, g_steal_pointer (&probe->path), FALSE, &probe->info,
              probe->kind == CLAP_INPUT_KIND_VIDEO ? probe->info.duration : 0.0,
              probe->texture);
}

/* Checks @file in a worker thread and uses it if it passes. */
void
clap_input_zone_load_file (ClapInputZone *self,
                           GFile         *file)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *name = NULL;
  Probe *probe;

  g_return_if_fail (CLAP_IS_INPUT_ZONE (self));
  g_return_if_fail (G_IS_FILE (file));

  probe = g_new0 (Probe, 1);
  probe->file = g_object_ref (file);
  probe->path = g_file_get_path (file);
  probe->kind = self->kind;
  probe->max_seconds = self->max_seconds;

  /* Busy first: whoever watches the error sees a zone at work. */
  name = g_file_get_basename (file);
  set_busy (self, TRUE, name);
  set_error (self, NULL);

  task = g_task_new (self, start_pending (self), probe_done, NULL);
  g_task_set_source_tag (task, clap_input_zone_load_file);
  g_task_set_task_data (task, probe, (GDestroyNotify) probe_free);
  g_task_run_in_thread (task, probe_thread);
}

/* Web addresses ------------------------------------------------------------ */

static ClapMediaType
guess_type_from_name (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);

  if (g_str_has_suffix (lower, ".png"))
    return CLAP_MEDIA_PNG;
  if (g_str_has_suffix (lower, ".jpg") || g_str_has_suffix (lower, ".jpeg"))
    return CLAP_MEDIA_JPEG;
  if (g_str_has_suffix (lower, ".mp4") || g_str_has_suffix (lower, ".m4v"))
    return CLAP_MEDIA_MP4;
  if (g_str_has_suffix (lower, ".mov"))
    return CLAP_MEDIA_MOV;
  return CLAP_MEDIA_UNKNOWN;
}

static gboolean
load_url (ClapInputZone *self,
          const char    *url,
          double         duration)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *stripped = NULL;
  ClapMediaInfo guess = { 0, };

  stripped = g_strstrip (g_strdup (url ? url : ""));
  if (!clap_url_is_allowed (stripped, &error))
    {
      set_error (self, error->message);
      return FALSE;
    }

  uri = g_uri_parse (stripped, G_URI_FLAGS_NONE, NULL);
  guess.type = guess_type_from_name (uri ? g_uri_get_path (uri) : stripped);
  if ((self->kind == CLAP_INPUT_KIND_IMAGE && clap_media_is_video (&guess)) ||
      (self->kind == CLAP_INPUT_KIND_VIDEO && clap_media_is_image (&guess)))
    {
      check_info (self->kind, &guess, self->max_seconds, &error);
      set_error (self, error->message);
      return FALSE;
    }

  cancel_pending (self);
  take_value (self, g_steal_pointer (&stripped), TRUE, NULL,
              self->kind == CLAP_INPUT_KIND_VIDEO ? duration : 0.0, NULL);
  return TRUE;
}

/* Uses a web address as it is: nothing is downloaded to check it, but an
 * insecure address, or a video's where an image belongs (or the reverse),
 * is refused here. A video's length is kept from the previous address, if
 * any: the person gives it. */
gboolean
clap_input_zone_load_url (ClapInputZone *self,
                          const char    *url)
{
  g_return_val_if_fail (CLAP_IS_INPUT_ZONE (self), FALSE);

  return load_url (self, url, self->is_url ? self->duration : 0.0);
}

/* Text dropped or pasted: a text/uri-list, a file:// URI, a path or a web
 * address. */
gboolean
clap_input_zone_load_text (ClapInputZone *self,
                           const char    *text)
{
  g_auto(GStrv) lines = NULL;
  const char *line = NULL;

  g_return_val_if_fail (CLAP_IS_INPUT_ZONE (self), FALSE);

  lines = g_strsplit (text ? text : "", "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_strstrip (lines[i]);
      if (*lines[i] != '\0' && *lines[i] != '#')
        {
          line = lines[i];
          break;
        }
    }

  if (line != NULL && g_str_has_prefix (line, "file://"))
    {
      g_autoptr(GFile) file = g_file_new_for_uri (line);
      clap_input_zone_load_file (self, file);
      return TRUE;
    }

  if (line != NULL && g_path_is_absolute (line))
    {
      g_autoptr(GFile) file = g_file_new_for_path (line);
      clap_input_zone_load_file (self, file);
      return TRUE;
    }

  if (line != NULL && g_uri_peek_scheme (line) != NULL)
    return clap_input_zone_load_url (self, line);

  set_error (self, self->kind == CLAP_INPUT_KIND_VIDEO
             ? _("Drop or paste a video file, or an https:// address of one.")
             : _("Drop or paste an image, an image file, or an https:// address of one."));
  return FALSE;
}

/* A value saved with a request: a local path, a file:// URI or a URL, and
 * the length a URL video was given. */
void
clap_input_zone_load_value (ClapInputZone *self,
                            const char    *value,
                            double         duration)
{
  g_autoptr(GFile) file = NULL;

  g_return_if_fail (CLAP_IS_INPUT_ZONE (self));

  if (value == NULL || *value == '\0')
    {
      clap_input_zone_clear (self);
      return;
    }

  if (clap_input_is_url (value))
    {
      load_url (self, value, duration);
      return;
    }

  file = clap_input_get_local_file (value);
  clap_input_zone_load_file (self, file);
}

/* Pasted images ------------------------------------------------------------ */

static void
save_texture_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  GdkTexture *texture = task_data;
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "clapboard", "pasted", NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *path = NULL;
  int fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                               _("The pasted image cannot be saved in “%s”: %s"),
                               dir, g_strerror (saved_errno));
      return;
    }

  /* A unique name, so two pastes in the same second never collide. */
  path = g_strdup_printf ("%s/pasted-%s-XXXXXX.png", dir, stamp);
  fd = g_mkstemp_full (path, O_WRONLY, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                               _("The pasted image cannot be saved in “%s”: %s"),
                               dir, g_strerror (saved_errno));
      return;
    }
  g_close (fd, NULL);

  if (!gdk_texture_save_to_png (texture, path))
    {
      g_unlink (path);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               _("The pasted image cannot be saved in “%s”."), dir);
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&path), g_free);
}

static void
save_texture_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ClapInputZone *self = CLAP_INPUT_ZONE (source);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_task_propagate_pointer (G_TASK (result), &error);
  g_autoptr(GFile) file = NULL;

  if (path == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_clear_object (&self->cancellable);
      set_busy (self, FALSE, NULL);
      set_error (self, error->message);
      return;
    }

  file = g_file_new_for_path (path);
  clap_input_zone_load_file (self, file);
}

/* An image from the clipboard becomes a PNG in the cache, then a file like
 * any other: it is checked, and uploaded when a take is sent. */
void
clap_input_zone_load_texture (ClapInputZone *self,
                              GdkTexture    *texture)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GdkTexture) memory = NULL;

  g_return_if_fail (CLAP_IS_INPUT_ZONE (self));
  g_return_if_fail (GDK_IS_TEXTURE (texture));

  if (self->kind != CLAP_INPUT_KIND_IMAGE)
    {
      set_error (self, _("This is an image; a video (MP4 or MOV) is needed here."));
      return;
    }

  /* Only a memory texture may be read from another thread; others (a GL
   * texture) are copied out here, which is a quick copy of pixels. */
  if (GDK_IS_MEMORY_TEXTURE (texture))
    {
      memory = g_object_ref (texture);
    }
  else
    {
      int width = gdk_texture_get_width (texture);
      int height = gdk_texture_get_height (texture);
      gsize stride = (gsize) width * 4;
      guchar *data = g_malloc (stride * height);
      g_autoptr(GBytes) bytes = NULL;

      gdk_texture_download (texture, data, stride);
      bytes = g_bytes_new_take (data, stride * height);
      memory = gdk_memory_texture_new (width, height, GDK_MEMORY_DEFAULT, bytes, stride);
    }

  set_busy (self, TRUE, _("Pasted image"));
  set_error (self, NULL);

  task = g_task_new (self, start_pending (self), save_texture_done, NULL);
  g_task_set_source_tag (task, clap_input_zone_load_texture);
  g_task_set_task_data (task, g_steal_pointer (&memory), g_object_unref);
  g_task_run_in_thread (task, save_texture_thread);
}

/* The clipboard ------------------------------------------------------------ */

static void
paste_files_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(ClapInputZone) self = user_data;
  g_autoptr(GError) error = NULL;
  const GValue *value;

  value = gdk_clipboard_read_value_finish (GDK_CLIPBOARD (source), result, &error);
  if (g_cancellable_is_cancelled (self->life))
    return;
  if (value == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_error (self, error->message);
      return;
    }

  _clap_input_zone_load_gvalue (self, value);
}

static void
paste_texture_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(ClapInputZone) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = NULL;

  texture = gdk_clipboard_read_texture_finish (GDK_CLIPBOARD (source), result, &error);
  if (g_cancellable_is_cancelled (self->life))
    return;
  if (texture == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_error (self, error->message);
      return;
    }

  clap_input_zone_load_texture (self, texture);
}

static void
paste_text_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(ClapInputZone) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, &error);
  if (g_cancellable_is_cancelled (self->life))
    return;
  if (text == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_error (self, error->message);
      return;
    }

  clap_input_zone_load_text (self, text);
}

/* What the clipboard holds, in the order a paste prefers it: files, then an
 * image, then text (a browser's copied image comes with its address too). */
ClapClipboardKind
_clap_clipboard_get_kind (GdkClipboard *clipboard)
{
  g_autoptr(GdkContentFormats) formats = NULL;

  formats = gdk_content_formats_ref (gdk_clipboard_get_formats (clipboard));
  formats = gdk_content_formats_union_deserialize_gtypes (formats);

  if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_FILE_LIST) ||
      gdk_content_formats_contain_gtype (formats, G_TYPE_FILE))
    return CLAP_CLIPBOARD_FILES;
  if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_TEXTURE))
    return CLAP_CLIPBOARD_IMAGE;
  if (gdk_content_formats_contain_gtype (formats, G_TYPE_STRING))
    return CLAP_CLIPBOARD_TEXT;
  return CLAP_CLIPBOARD_NONE;
}

/* Reads the clipboard into the zone; FALSE when it holds nothing usable. */
gboolean
clap_input_zone_paste (ClapInputZone *self,
                       GdkClipboard  *clipboard)
{
  g_autoptr(GdkContentFormats) formats = NULL;

  g_return_val_if_fail (CLAP_IS_INPUT_ZONE (self), FALSE);
  g_return_val_if_fail (GDK_IS_CLIPBOARD (clipboard), FALSE);

  switch (_clap_clipboard_get_kind (clipboard))
    {
    case CLAP_CLIPBOARD_FILES:
      formats = gdk_content_formats_ref (gdk_clipboard_get_formats (clipboard));
      formats = gdk_content_formats_union_deserialize_gtypes (formats);
      gdk_clipboard_read_value_async (clipboard,
                                      gdk_content_formats_contain_gtype (formats, GDK_TYPE_FILE_LIST)
                                      ? GDK_TYPE_FILE_LIST : G_TYPE_FILE,
                                      G_PRIORITY_DEFAULT, self->life,
                                      paste_files_done, g_object_ref (self));
      return TRUE;

    case CLAP_CLIPBOARD_IMAGE:
      gdk_clipboard_read_texture_async (clipboard, self->life, paste_texture_done,
                                        g_object_ref (self));
      return TRUE;

    case CLAP_CLIPBOARD_TEXT:
      gdk_clipboard_read_text_async (clipboard, self->life, paste_text_done, g_object_ref (self));
      return TRUE;

    case CLAP_CLIPBOARD_NONE:
    default:
      return FALSE;
    }
}

/* Drag and drop ------------------------------------------------------------ */

/* A value from a drop or the clipboard: a file list, a file or text. */
gboolean
_clap_input_zone_load_gvalue (ClapInputZone *self,
                              const GValue  *value)
{
  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    {
      GSList *files = gdk_file_list_get_files (g_value_get_boxed (value));
      gboolean any = files != NULL;

      /* A zone holds one file: the first of several is used. */
      if (any)
        clap_input_zone_load_file (self, files->data);
      g_slist_free (files);
      return any;
    }

  if (G_VALUE_HOLDS (value, G_TYPE_FILE))
    {
      GFile *file = g_value_get_object (value);

      if (file == NULL)
        return FALSE;
      clap_input_zone_load_file (self, file);
      return TRUE;
    }

  if (G_VALUE_HOLDS (value, G_TYPE_STRING))
    return clap_input_zone_load_text (self, g_value_get_string (value));

  return FALSE;
}

static gboolean
on_drop (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         ClapInputZone *self)
{
  return _clap_input_zone_load_gvalue (self, value);
}

GtkDropTarget *
_clap_input_zone_get_drop_target (ClapInputZone *self)
{
  g_return_val_if_fail (CLAP_IS_INPUT_ZONE (self), NULL);
  return self->drop_target;
}

GtkLabel *
_clap_input_zone_get_name_label (ClapInputZone *self)
{
  return self->name_label;
}

GtkLabel *
_clap_input_zone_get_details_label (ClapInputZone *self)
{
  return self->details_label;
}

GtkLabel *
_clap_input_zone_get_error_label (ClapInputZone *self)
{
  return self->error_label;
}

GtkPicture *
_clap_input_zone_get_thumbnail (ClapInputZone *self)
{
  return self->thumbnail;
}

GtkButton *
_clap_input_zone_get_choose_button (ClapInputZone *self)
{
  return self->choose_button;
}

/* The GtkFileChooserNative (GTK 4.8) or GtkFileDialog (4.10) once opened. */
GObject *
_clap_input_zone_get_chooser (ClapInputZone *self)
{
#if GTK_CHECK_VERSION (4, 10, 0)
  return G_OBJECT (self->dialog);
#else
  return G_OBJECT (self->chooser);
#endif
}

/* The file chooser --------------------------------------------------------- */

static GtkFileFilter *
make_filter (ClapInputZone *self)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  if (self->kind == CLAP_INPUT_KIND_VIDEO)
    {
      gtk_file_filter_set_name (filter, _("Videos (MP4, MOV)"));
      gtk_file_filter_add_mime_type (filter, "video/mp4");
      gtk_file_filter_add_mime_type (filter, "video/quicktime");
      gtk_file_filter_add_suffix (filter, "mp4");
      gtk_file_filter_add_suffix (filter, "mov");
    }
  else
    {
      gtk_file_filter_set_name (filter, _("Images (PNG, JPEG)"));
      gtk_file_filter_add_mime_type (filter, "image/png");
      gtk_file_filter_add_mime_type (filter, "image/jpeg");
      gtk_file_filter_add_suffix (filter, "png");
      gtk_file_filter_add_suffix (filter, "jpg");
      gtk_file_filter_add_suffix (filter, "jpeg");
    }

  return filter;
}

static char *
chooser_title (ClapInputZone *self)
{
  /* Translators: the title of the file chooser, %s is "First frame" */
  return g_strdup_printf (_("Choose the %s"), self->title ? self->title : "");
}

#if GTK_CHECK_VERSION (4, 10, 0)
static void
dialog_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ClapInputZone) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = gtk_file_dialog_open_finish (GTK_FILE_DIALOG (source), result, &error);

  if (g_cancellable_is_cancelled (self->life))
    return;

  if (file != NULL)
    clap_input_zone_load_file (self, file);
  else if (!g_error_matches (error, GTK_DIALOG_ERROR, GTK_DIALOG_ERROR_DISMISSED) &&
           !g_error_matches (error, GTK_DIALOG_ERROR, GTK_DIALOG_ERROR_CANCELLED))
    set_error (self, error->message);
}

static void
on_choose_clicked (ClapInputZone *self)
{
  g_autoptr(GtkFileFilter) filter = make_filter (self);
  g_autoptr(GListStore) filters = g_list_store_new (GTK_TYPE_FILE_FILTER);
  g_autofree char *title = chooser_title (self);

  g_list_store_append (filters, filter);
  if (self->dialog == NULL)
    self->dialog = gtk_file_dialog_new ();
  gtk_file_dialog_set_title (self->dialog, title);
  gtk_file_dialog_set_filters (self->dialog, G_LIST_MODEL (filters));
  gtk_file_dialog_set_default_filter (self->dialog, filter);
  gtk_file_dialog_set_modal (self->dialog, TRUE);
  gtk_file_dialog_open (self->dialog, GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                        self->life, dialog_done, g_object_ref (self));
}
#else
static void
on_chooser_response (GtkNativeDialog *chooser,
                     int              response,
                     ClapInputZone   *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (file != NULL)
        clap_input_zone_load_file (self, file);
    }

  gtk_native_dialog_destroy (chooser);
  g_clear_object (&self->chooser);
}

static void
on_choose_clicked (ClapInputZone *self)
{
  g_autofree char *title = chooser_title (self);
  g_autoptr(GtkFileFilter) filter = make_filter (self);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (self->chooser != NULL)
    {
      gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
      return;
    }

  self->chooser = gtk_file_chooser_native_new (title,
                                               GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Open"), _("_Cancel"));
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}
#endif

/* Template callbacks ------------------------------------------------------- */

static void
on_link_popover_show (ClapInputZone *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->url_entry), "");
  gtk_widget_grab_focus (GTK_WIDGET (self->url_entry));
}

static void
on_url_apply (ClapInputZone *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->url_entry));

  gtk_popover_popdown (self->link_popover);
  if (*text != '\0')
    clap_input_zone_load_url (self, text);
}

static void
on_length_changed (ClapInputZone *self)
{
  if (!self->syncing)
    clap_input_zone_set_duration (self, gtk_spin_button_get_value (self->length_spin));
}

static void
on_remove_clicked (ClapInputZone *self)
{
  clap_input_zone_clear (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->choose_button));
}

/* Properties --------------------------------------------------------------- */

ClapInputKind
clap_input_zone_get_kind (ClapInputZone *self)
{
  g_return_val_if_fail (CLAP_IS_INPUT_ZONE (self), CLAP_INPUT_KIND_IMAGE);
  return self->kind;
}

void
clap_input_zone_set_kind (ClapInputZone *self,
                          ClapInputKind  kind)
{
  g_return_if_fail (CLAP_IS_INPUT_ZONE (self));

  if (self->kind == kind)
    return;

  clap_input_zone_clear (self);
  self->kind = kind;
  update_texts (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KIND]);
}

const char *
clap_input_zone_get_title (ClapInputZone *self)
{
  g_return_val_if_fail (CLAP_IS_INPUT_ZONE (self), NULL);
  return self->title;
}

void
clap_input_zone_set_title (ClapInputZone *self,
                           const char    *title)
{
  g_return_if_fail (CLAP_IS_INPUT_ZONE (self));

  if (_clap_replace_string (&self->title, title))
    {
      update_texts (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
    }
}

const char *
clap_input_zone_get_hint (ClapInputZone *self)
{
  g_return_val_if_fail (CLAP_IS_INPUT_ZONE (self), NULL);
  return self->hint;
}

/* A word beside the title, such as "Optional". */
void
clap_input_zone_set_hint (ClapInputZone *self,
                          const char    *hint)
{
  g_return_if_fail (CLAP_IS_INPUT_ZONE (self));

  if (_clap_replace_string (&self->hint, hint))
    {
      update_texts (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HINT]);
    }
}

double
clap_input_zone_get_max_seconds (ClapInputZone *self)
{
  g_return_val_if_fail (CLAP_IS_INPUT_ZONE (self), 0.0);
  return self->max_seconds;
}

/* The longest video the zone takes. A video already in the zone is checked
 * again: it stays, so that going back to a longer limit restores it, but the
 * zone says why it no longer fits. */
void
clap_input_zone_set_max_seconds (ClapInputZone *self,
                                 double         max_seconds)
{
  g_return_if_fail (CLAP_IS_INPUT_ZONE (self));

  if (self->max_seconds == max_seconds)
    return;

  self->max_seconds = max_seconds;
  update_texts (self);

  if (self->kind == CLAP_INPUT_KIND_VIDEO && self->value != NULL && !self->is_url &&
      !self->busy)
    {
      g_autoptr(GError) error = NULL;

      if (!check_info (self->kind, &self->info, max_seconds, &error))
        set_error (self, error->message);
      else
        set_error (self, NULL);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_SECONDS]);
}

/* The local path or web address in use; NULL when the zone is empty. */
const char *
clap_input_zone_get_value (ClapInputZone *self)
{
  g_return_val_if_fail (CLAP_IS_INPUT_ZONE (self), NULL);
  return self->value;
}

double
clap_input_zone_get_duration (ClapInputZone *self)
{
  g_return_val_if_fail (CLAP_IS_INPUT_ZONE (self), 0.0);
  return self->duration;
}

/* The length of a video given by web address, which only the person knows;
 * a local file's length comes from the file. */
void
clap_input_zone_set_duration (ClapInputZone *self,
                              double         seconds)
{
  g_return_if_fail (CLAP_IS_INPUT_ZONE (self));

  if (self->duration == seconds)
    return;

  self->duration = seconds;
  self->syncing = TRUE;
  gtk_spin_button_set_value (self->length_spin, seconds);
  self->syncing = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DURATION]);
}

gboolean
clap_input_zone_get_busy (ClapInputZone *self)
{
  g_return_val_if_fail (CLAP_IS_INPUT_ZONE (self), FALSE);
  return self->busy;
}

const char *
clap_input_zone_get_error (ClapInputZone *self)
{
  g_return_val_if_fail (CLAP_IS_INPUT_ZONE (self), NULL);
  return self->error;
}

/* Empties the zone and forgets any file being checked. */
void
clap_input_zone_clear (ClapInputZone *self)
{
  g_return_if_fail (CLAP_IS_INPUT_ZONE (self));

  cancel_pending (self);

  g_object_freeze_notify (G_OBJECT (self));
  if (self->value != NULL || self->duration != 0.0)
    take_value (self, NULL, FALSE, NULL, 0.0, NULL);
  set_error (self, NULL);
  set_busy (self, FALSE, NULL);
  g_object_thaw_notify (G_OBJECT (self));
}

static void
clap_input_zone_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  ClapInputZone *self = CLAP_INPUT_ZONE (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_HINT:
      g_value_set_string (value, self->hint);
      break;
    case PROP_MAX_SECONDS:
      g_value_set_double (value, self->max_seconds);
      break;
    case PROP_VALUE:
      g_value_set_string (value, self->value);
      break;
    case PROP_DURATION:
      g_value_set_double (value, self->duration);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clap_input_zone_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  ClapInputZone *self = CLAP_INPUT_ZONE (object);

  switch (prop_id)
    {
    case PROP_KIND:
      clap_input_zone_set_kind (self, g_value_get_enum (value));
      break;
    case PROP_TITLE:
      clap_input_zone_set_title (self, g_value_get_string (value));
      break;
    case PROP_HINT:
      clap_input_zone_set_hint (self, g_value_get_string (value));
      break;
    case PROP_MAX_SECONDS:
      clap_input_zone_set_max_seconds (self, g_value_get_double (value));
      break;
    case PROP_DURATION:
      clap_input_zone_set_duration (self, g_value_get_double (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clap_input_zone_dispose (GObject *object)
{
  ClapInputZone *self = CLAP_INPUT_ZONE (object);

  cancel_pending (self);
  g_cancellable_cancel (self->life);

#if GTK_CHECK_VERSION (4, 10, 0)
  g_clear_object (&self->dialog);
#else
  if (self->chooser != NULL)
    {
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
      g_clear_object (&self->chooser);
    }
#endif

  gtk_widget_dispose_template (GTK_WIDGET (self), CLAP_TYPE_INPUT_ZONE);

  G_OBJECT_CLASS (clap_input_zone_parent_class)->dispose (object);
}

static void
clap_input_zone_finalize (GObject *object)
{
  ClapInputZone *self = CLAP_INPUT_ZONE (object);

  g_free (self->title);
  g_free (self->hint);
  g_free (self->value);
  g_free (self->error);
  g_clear_object (&self->life);

  G_OBJECT_CLASS (clap_input_zone_parent_class)->finalize (object);
}

static void
clap_input_zone_class_init (ClapInputZoneClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  GParamFlags read_only = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->dispose = clap_input_zone_dispose;
  object_class->finalize = clap_input_zone_finalize;
  object_class->get_property = clap_input_zone_get_property;
  object_class->set_property = clap_input_zone_set_property;

  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL, CLAP_TYPE_INPUT_KIND, CLAP_INPUT_KIND_IMAGE, flags);
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL, flags);
  properties[PROP_HINT] =
    g_param_spec_string ("hint", NULL, NULL, NULL, flags);
  properties[PROP_MAX_SECONDS] =
    g_param_spec_double ("max-seconds", NULL, NULL, 0.0, 3600.0, CLAP_VIDEO_MAX_SECONDS, flags);
  properties[PROP_VALUE] =
    g_param_spec_string ("value", NULL, NULL, NULL, read_only);
  properties[PROP_DURATION] =
    g_param_spec_double ("duration", NULL, NULL, 0.0, 3600.0, 0.0, flags);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE, read_only);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL, read_only);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/app/clapboard/Clapboard/ui/clap-input-zone.ui");
  gtk_widget_class_bind_template_child (widget_class, ClapInputZone, box);
  gtk_widget_class_bind_template_child (widget_class, ClapInputZone, title_label);
  gtk_widget_class_bind_template_child (widget_class, ClapInputZone, hint_label);
  gtk_widget_class_bind_template_child (widget_class, ClapInputZone, stack);
  gtk_widget_class_bind_template_child (widget_class, ClapInputZone, empty_icon);
  gtk_widget_class_bind_template_child (widget_class, ClapInputZone, empty_label);
  gtk_widget_class_bind_template_child (widget_class, ClapInputZone, limits_label);
  gtk_widget_class_bind_template_child (widget_class, ClapInputZone, choose_button);
  gtk_widget_class_bind_template_child (widget_class, ClapInputZone, link_button);
  gtk_widget_class_bind_template_child (widget_class, ClapInputZone, link_popover);
  gtk_widget_class_bind_template_child (widget_class, ClapInputZone, url_entry);
  gtk_widget_class_bind_template_child (widget_class, ClapInputZone, spinner);
  gtk_widget_class_bind_template_child (widget_class, ClapInputZone, checking_label);
  gtk_widget_class_bind_template_child (widget_class, ClapInputZone, thumbnail);
  gtk_widget_class_bind_template_child (widget_class, ClapInputZone, thumbnail_icon);
  gtk_widget_class_bind_template_child (widget_class, ClapInputZone, name_label);
  gtk_widget_class_bind_template_child (widget_class, ClapInputZone, details_label);
  gtk_widget_class_bind_template_child (widget_class, ClapInputZone, length_box);
  gtk_widget_class_bind_template_child (widget_class, ClapInputZone, length_spin);
  gtk_widget_class_bind_template_child (widget_class, ClapInputZone, remove_button);
  gtk_widget_class_bind_template_child (widget_class, ClapInputZone, error_box);
  gtk_widget_class_bind_template_child (widget_class, ClapInputZone, error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_choose_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_link_popover_show);
  gtk_widget_class_bind_template_callback (widget_class, on_url_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_length_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_remove_clicked);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "clapinputzone");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
clap_input_zone_init (ClapInputZone *self)
{
  /* Files from a file manager come as a file list; a single GFile from
   * other GTK applications; text for URI lists and web addresses. */
  GType types[] = { GDK_TYPE_FILE_LIST, G_TYPE_FILE, G_TYPE_STRING };

  self->max_seconds = CLAP_VIDEO_MAX_SECONDS;
  self->life = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  self->drop_target = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);
  gtk_drop_target_set_gtypes (self->drop_target, types, G_N_ELEMENTS (types));
  g_signal_connect (self->drop_target, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (self->drop_target));

  update_texts (self);
}
