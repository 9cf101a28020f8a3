package dev.imagery.shared.image;

/** The image is in a state from which the requested transition is not allowed (HTTP 409). */
public final class TransitionConflictException extends RuntimeException {

  private final transient ImageRecord current;

  public TransitionConflictException(ImageRecord current, ImageState target) {
    super("image " + current.id() + " is " + current.state().wireName() + " and cannot become " + target.wireName(),
        null, false, false);
    this.current = current;
  }

  public ImageRecord current() {
    return current;
  }
}
