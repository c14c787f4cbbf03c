// 使用当前位置 (storefront): asks the browser where the phone is (the browser asks the person
// first) and either fills the form's hidden lat/lng fields (data-geolocate="fill") or opens the
// link with ?lat=&lng= added (data-geolocate="link"). The buttons stay hidden where the browser
// cannot locate; the page works without them (the address is geocoded when saved).
(function () {
  function reveal(root) {
    if (!("geolocation" in navigator) || !root.querySelectorAll) return;
    root.querySelectorAll("[data-geolocate]").forEach(function (el) { el.hidden = false; });
  }
  document.addEventListener("DOMContentLoaded", function () { reveal(document); });
  document.addEventListener("htmx:load", function (event) { reveal(event.target); });

  document.addEventListener("click", function (event) {
    var trigger = event.target.closest("[data-geolocate]");
    if (!trigger || !("geolocation" in navigator)) return;
    event.preventDefault();
    var status = trigger.dataset.status ? document.querySelector(trigger.dataset.status) : null;
    var say = function (text) { if (status && text) status.textContent = text; };
    say(trigger.dataset.busy);
    navigator.geolocation.getCurrentPosition(function (position) {
      var lat = position.coords.latitude.toFixed(6);
      var lng = position.coords.longitude.toFixed(6);
      if (trigger.dataset.geolocate === "link") {
        var url = new URL(trigger.href, window.location.href);
        url.searchParams.delete("address");
        url.searchParams.set("lat", lat);
        url.searchParams.set("lng", lng);
        window.location.assign(url.toString());
        return;
      }
      var form = trigger.closest("form");
      form.querySelector("input[name=lat]").value = lat;
      form.querySelector("input[name=lng]").value = lng;
      say(trigger.dataset.done);
    }, function (error) {
      say(error.code === error.PERMISSION_DENIED ? trigger.dataset.denied : trigger.dataset.failed);
    }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  });
})();
