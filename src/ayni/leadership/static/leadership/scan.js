/* Scan the QR on a member card with the phone's camera (where the browser can read QR codes) and
   put her number in the form; without it, the number is typed. Works without signal. */
(function () {
  "use strict";
  var box = document.getElementById("scan-box");
  var video = document.getElementById("scan-video");
  var typed = document.getElementById("typed");
  if (!box || !("BarcodeDetector" in window) || !navigator.mediaDevices) { return; }
  box.hidden = false;
  var detector = new window.BarcodeDetector({formats: ["qr_code"]});
  document.getElementById("scan").addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}}).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      function look() {
        detector.detect(video).then(function (codes) {
          var found = codes.map(function (c) { return /^AYNI-SOCIA-(\d+)$/.exec(c.rawValue); }).filter(Boolean)[0];
          if (!found) { requestAnimationFrame(look); return; }
          stream.getTracks().forEach(function (t) { t.stop(); });
          video.hidden = true;
          typed.value = (typed.value ? typed.value + " " : "") + found[1];
          document.getElementById("how").value = "card";
        }, function () { requestAnimationFrame(look); });
      }
      look();
    }).catch(function () { box.hidden = true; });
  });
}());
